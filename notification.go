package maillage

import (
	"context"
	"time"
)

// NotificationMode is how a professional hears of the events that concern
// them (a request's progress, a note in a care team…), by MSSanté mail.
type NotificationMode string

// Notification modes.
const (
	// NotifyImmediate: one mail per event, as soon as it happens.
	NotifyImmediate NotificationMode = "IMMEDIATE"
	// NotifyDigest: one mail a day listing the day's events.
	NotifyDigest NotificationMode = "DIGEST"
	// NotifyOff: no mail.
	NotifyOff NotificationMode = "OFF"
)

// Valid reports whether m is a known mode.
func (m NotificationMode) Valid() bool {
	return m == NotifyImmediate || m == NotifyDigest || m == NotifyOff
}

// Recipient roles: what a person is to an event, which decides the default
// mode of a professional who chose none.
const (
	// RecipientESSMailbox: the organisational MSSanté mailbox of the ESS a
	// request is submitted to (told of its submission and of its withdrawal
	// by the requester).
	RecipientESSMailbox = "ess_mailbox"
	// RecipientRequester: the professional who submitted a request.
	RecipientRequester = "requester"
	// RecipientSpecialist: the ESS specialist a request is assigned to.
	RecipientSpecialist = "assigned_specialist"
	// RecipientTeamMember: a current member of an ESCAP care team.
	RecipientTeamMember = "escap_member"
	// RecipientTaskAssignee: the member a team's task is given to.
	RecipientTaskAssignee = "task_assignee"
)

// NotificationRoleDefault is the mode a recipient role gets by default.
type NotificationRoleDefault struct {
	Role string
	Mode NotificationMode
}

// NotificationPreference is the caller's choice of notification mode.
type NotificationPreference struct {
	// Mode is the chosen mode; nil: each event follows the default of the
	// caller's role in it (Defaults).
	Mode *NotificationMode
	// Address is the nominative MSSanté address the mails go to (nil when
	// the professional has none: no mail can be sent).
	Address   *string
	UpdatedAt *time.Time
	// Defaults are the hub's defaults per recipient role.
	Defaults []NotificationRoleDefault
}

// NotificationPreferenceService reads and sets the caller's own choice.
type NotificationPreferenceService interface {
	// MyNotificationPreference returns the caller's choice. Errors:
	// UNAUTHENTICATED, FORBIDDEN (an account that is not a professional).
	MyNotificationPreference(ctx context.Context) (*NotificationPreference, error)
	// SetMyNotificationPreference stores the caller's mode. Errors:
	// BAD_USER_INPUT (mode), UNAUTHENTICATED, FORBIDDEN.
	SetMyNotificationPreference(ctx context.Context, mode NotificationMode) (*NotificationPreference, error)
}
