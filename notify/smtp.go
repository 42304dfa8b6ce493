package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"

	"github.com/wneessen/go-mail"

	"github.com/maillage/maillage/postgres"
)

// sender hands mails to the relay with go-mail.
type sender struct {
	cfg    Config
	tls    *tls.Config
	domain string // of the Message-IDs: the hub's host
}

func newSender(cfg Config) (*sender, error) {
	conf, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	domain := "maillage.invalid"
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		domain = u.Hostname()
	}
	return &sender{cfg: cfg, tls: conf, domain: domain}, nil
}

// client is a go-mail client of the relay.
func (s *sender) client() (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout), mail.WithTLSConfig(s.tls)}
	switch s.cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	return mail.NewClient(s.cfg.Host, opts...)
}

// message is the MIME message of m. Its Message-ID is the mail's id: a mail
// sent again after an instance stopped mid-send carries the same one.
func (s *sender) message(m postgres.OutgoingMail) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.Address); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(fmt.Sprintf("notification.%d@%s", m.ID, s.domain))
	msg.SetDate()
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	return msg, nil
}

// send sends ms in one SMTP conversation and returns each mail's error
// (nil: the relay accepted it).
func (s *sender) send(ctx context.Context, ms []postgres.OutgoingMail) []error {
	errs := make([]error, len(ms))
	all := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	msgs := make([]*mail.Msg, len(ms))
	for i, m := range ms {
		msgs[i], errs[i] = s.message(m)
	}
	c, err := s.client()
	if err != nil {
		return all(fmt.Errorf("smtp client: %w", err))
	}
	if err := c.DialWithContext(ctx); err != nil {
		return all(fmt.Errorf("smtp relay %s:%d: %w", s.cfg.Host, s.cfg.Port, err))
	}
	defer c.Close()
	for i, msg := range msgs {
		if msg != nil {
			errs[i] = c.Send(msg)
		}
	}
	return errs
}
