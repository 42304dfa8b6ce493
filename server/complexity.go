package server

import (
	"github.com/maillage/maillage"
	"github.com/maillage/maillage/graph"
)

// listEstimate is the size assumed for an unpaginated nested list (a
// structure's links, an ESCAP's members) when costing a query.
const listEstimate = 20

// pageCost is the cost of a connection field: its children once per row of
// the page asked for (the default page when none is given).
func pageCost(child int, first *int) int {
	n := maillage.DefaultPageSize
	if first != nil && *first > 0 {
		n = *first
	}
	return 1 + child*n
}

// setComplexity makes list fields cost in proportion to the rows they may
// return, so FixedComplexityLimit bounds the work a query can ask for.
func setComplexity(c *graph.ComplexityRoot) {
	c.Query.Territories = func(child int, _ *maillage.TerritoryFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Structures = func(child int, _ *maillage.StructureFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Query.Professionals = func(child int, _ *maillage.ProfessionalFilter, first *int, _ *string) int {
		return pageCost(child, first)
	}
	c.Query.Patients = func(child int, _ *maillage.PatientFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Territory.Children = func(child int, first *int, _ *string) int { return pageCost(child, first) }
	c.Territory.Structures = func(child int, _ *maillage.StructureFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Structure.Members = func(child int, _ *maillage.MembershipRole, first *int, _ *string) int { return pageCost(child, first) }
	c.Structure.Links = func(child int) int { return 1 + child*listEstimate }
	c.Professional.Memberships = func(child int, _ *maillage.MembershipRole, first *int, _ *string) int {
		return pageCost(child, first)
	}
	c.Query.Escaps = func(child int, _ *maillage.ESCAPFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.ESCAP.Members = func(child int) int { return 1 + child*listEstimate }
	c.ESCAP.Timeline = func(child int, first *int, _ *string) int { return pageCost(child, first) }
}
