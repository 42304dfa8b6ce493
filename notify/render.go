package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
)

// A message is what one event says to one recipient: the subject of its own
// mail, the line it makes in a digest, and the portal page it links to. It
// names the ESS, the requester and the author of a note (the directory's,
// public), dates in Europe/Paris, never the patient nor what the request or
// the note says: the portal shows that to whoever may see it.
type message struct {
	Subject string
	Summary string
	Path    string // the portal page, from the hub's root
}

// parisDate formats t as the day in Europe/Paris ("30/11/2026").
func parisDate(t time.Time) string { return t.In(maillage.Paris).Format("02/01/2006") }

// parisTime formats t as the day and time in Europe/Paris ("30/11/2026 à 09h15").
func parisTime(t time.Time) string { return t.In(maillage.Paris).Format("02/01/2006 à 15h04") }

// referralOutcome is what a transition did to the request, told to its
// requester.
var referralOutcome = map[string]string{
	maillage.ReferralEventType(maillage.ActionTriage):   "a été prise en charge par le secrétariat de l’ESS",
	maillage.ReferralEventType(maillage.ActionAssign):   "a été confiée à un spécialiste de l’ESS",
	maillage.ReferralEventType(maillage.ActionSchedule): "a désormais un rendez-vous fixé",
	maillage.ReferralEventType(maillage.ActionAnswer):   "a reçu une réponse",
	maillage.ReferralEventType(maillage.ActionDecline):  "a été déclinée",
	maillage.ReferralEventType(maillage.ActionRedirect): "a été réorientée",
}

// referralMessage is what a referral event says to a recipient of role.
func referralMessage(ev *maillage.Event, f *postgres.NotifyFacts, role string) (message, bool) {
	path := "/portal/demandes/" + ev.SubjectID
	submitted := ""
	if f.SubmittedAt != nil {
		submitted = parisTime(*f.SubmittedAt)
	}
	switch {
	case role == maillage.RecipientESSMailbox && ev.Type == maillage.ReferralEventType(maillage.ActionSubmit):
		return message{
			Subject: "Nouvelle demande d’avis pour " + f.ESSName,
			Summary: fmt.Sprintf("Nouvelle demande d’avis adressée à %s par %s, le %s.", f.ESSName, f.RequesterName, submitted),
			Path:    path,
		}, true
	case role == maillage.RecipientESSMailbox && ev.Type == maillage.ReferralEventType(maillage.ActionWithdraw):
		return message{
			Subject: "Demande d’avis retirée par son demandeur (" + f.ESSName + ")",
			Summary: fmt.Sprintf("%s a retiré sa demande d’avis adressée à %s le %s : elle n’est plus à traiter.", f.RequesterName, f.ESSName, submitted),
			Path:    path,
		}, true
	case role == maillage.RecipientSpecialist && ev.Type == maillage.ReferralEventType(maillage.ActionAssign):
		return message{
			Subject: "Une demande d’avis vous est confiée (" + f.ESSName + ")",
			Summary: fmt.Sprintf("%s vous confie une demande d’avis de %s, déposée le %s.", f.ESSName, f.RequesterName, submitted),
			Path:    path,
		}, true
	case role == maillage.RecipientRequester:
		outcome, ok := referralOutcome[ev.Type]
		if !ok {
			return message{}, false
		}
		return message{
			Subject: "Votre demande d’avis à " + f.ESSName + " " + outcome,
			Summary: fmt.Sprintf("Votre demande d’avis adressée à %s le %s %s.", f.ESSName, submitted, outcome),
			Path:    path,
		}, true
	}
	return message{}, false
}

// escapMessage is what an ESCAP event says to a member of the team.
func escapMessage(ev *maillage.Event, teamID string, f *postgres.NotifyFacts, role string) (message, bool) {
	path := "/portal/escap/" + teamID
	author := f.AuthorName
	if author == "" {
		author = "Un membre de l’équipe"
	}
	switch ev.Type {
	case maillage.EventNoteAdded:
		return message{
			Subject: "Nouvelle note dans une équipe de soins (ESCAP)",
			Summary: author + " a ajouté une note au fil d’une équipe de soins (ESCAP) dont vous êtes membre.",
			Path:    path,
		}, true
	case maillage.EventTaskAdded:
		if role == maillage.RecipientTaskAssignee {
			return message{
				Subject: "Une tâche vous est confiée dans une équipe de soins (ESCAP)",
				Summary: author + " vous a confié une tâche dans une équipe de soins (ESCAP) dont vous êtes membre.",
				Path:    path,
			}, true
		}
		return message{
			Subject: "Nouvelle tâche dans une équipe de soins (ESCAP)",
			Summary: author + " a ajouté une tâche au fil d’une équipe de soins (ESCAP) dont vous êtes membre.",
			Path:    path,
		}, true
	case maillage.EventESCAPTermNear:
		if f.ExpiresAt == nil {
			return message{}, false
		}
		return message{
			Subject: "Une équipe de soins (ESCAP) arrive à son terme le " + parisDate(*f.ExpiresAt),
			Summary: "Une équipe de soins (ESCAP) dont vous êtes membre arrive à son terme le " + parisDate(*f.ExpiresAt) +
				" ; elle peut être renouvelée depuis le portail.",
			Path: path,
		}, true
	}
	return message{}, false
}

// footer ends every mail: why it was sent and how to change it.
const footer = `Ce message ne contient aucune donnée de santé : ouvrez le lien pour consulter le dossier sur le portail Maillage, après connexion.
Vous recevez ce message en raison de votre rôle auprès de ce dossier. Pour recevoir un récapitulatif quotidien ou ne plus recevoir de messages, réglez vos préférences de notification sur le portail.
-- 
Maillage, coordination des soins du territoire (message automatique, ne pas répondre)`

// immediateBody is the text of one event's own mail.
func immediateBody(m message, link string, at time.Time) string {
	return "Bonjour,\n\n" + m.Summary + "\n\n" + link + "\n\n(" + parisTime(at) + ", heure de Paris)\n\n" + footer + "\n"
}

// digestMail is the mail gathering a recipient's waiting lines.
func digestMail(items []postgres.DigestItem) (subject, body string) {
	n := len(items)
	subject = fmt.Sprintf("Maillage : %d notification", n)
	if n > 1 {
		subject += "s"
	}
	subject += " du " + parisDate(items[n-1].CreatedAt)
	var b strings.Builder
	b.WriteString("Bonjour,\n\nVoici le récapitulatif de ce qui vous concerne depuis le dernier envoi :\n\n")
	for _, it := range items {
		fmt.Fprintf(&b, "- %s : %s\n  %s\n", parisTime(it.CreatedAt), it.Summary, it.Link)
	}
	b.WriteString("\n" + footer + "\n")
	return subject, b.String()
}
