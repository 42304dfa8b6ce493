// Package maillage is the domain of the Maillage hub: the territories, structures,
// professionals, patients, ESCAP care teams and ESS referral requests of French
// coordinated care, the pure rules that govern them, the Error type and its codes,
// and the service interfaces that the postgres package implements.
//
// It imports the standard library only.
package maillage
