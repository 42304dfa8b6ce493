package authz

// Visibility is the rule by which a list of objects of one type is cut to
// a caller's Scope (the SQL filters of the postgres package state the same
// rules; Scope.Visible states them in Go).
type Visibility string

// The visibility rules.
const (
	// InDomain: the object's own domain lies in or below one of the
	// scope's domains, or the caller has one of the scope's relations with
	// it.
	InDomain Visibility = "in domain"
	// OnPath: as InDomain, and also the territories above a domain of the
	// scope: who sees a local territory sees the path that leads to it.
	OnPath Visibility = "on path"
	// Anywhere: any caller whose scope is not empty sees all of them: the
	// objects belong to a national register, or hang off a visible one.
	Anywhere Visibility = "anywhere"
)

// ListRule is how the lists of one object type are filtered: the policy
// kind asked with ActRead, the visibility rule, and what the object's
// domain is.
type ListRule struct {
	Kind       string
	Visibility Visibility
	Domain     string
}

// Lists is the table of the lists' visibility, by GraphQL type:
//
//	type           kind       rule      domain
//	Territory      directory  on path   its path ("fr/28/76")
//	Structure      directory  in domain its territory's path + "/@" + its id
//	StructureLink  directory  anywhere  — (both ends are structures of the directory)
//	Professional   directory  anywhere  — (the RPPS directory is national)
//	Membership     directory  anywhere  — (read through a visible structure or professional)
//	Patient        patient    in domain "fr": in practice through relations only
//	ESCAP          escap      in domain its territory's path, or a relation (care circle)
//	Referral       referral   in domain its ESS's domain, or a relation (requester, ESS staff)
//	AuditRecord    audit      in domain the audited object's domain
var Lists = map[string]ListRule{
	"Territory":     {KindDirectory, OnPath, "its path"},
	"Structure":     {KindDirectory, InDomain, "its territory's path + /@ + its id"},
	"StructureLink": {KindDirectory, Anywhere, ""},
	"Professional":  {KindDirectory, Anywhere, ""},
	"Membership":    {KindDirectory, Anywhere, ""},
	"Patient":       {KindPatient, InDomain, NationalDomain},
	"ESCAP":         {KindESCAP, InDomain, "its territory's path"},
	"Referral":      {KindReferral, InDomain, "its ESS's domain"},
	"AuditRecord":   {KindAudit, InDomain, "the audited object's domain"},
}

// Visible reports whether an object at domain, with which the caller has
// the relations rels, is in s under rule v.
func (s Scope) Visible(v Visibility, domain string, rels ...string) bool {
	if s.All || v == Anywhere && !s.Empty() {
		return true
	}
	for _, d := range s.Domains {
		if Within(domain, d) || v == OnPath && Within(d, domain) {
			return true
		}
	}
	for _, r := range rels {
		for _, allowed := range s.Relations {
			if r == allowed {
				return true
			}
		}
	}
	return false
}
