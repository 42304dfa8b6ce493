package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// relay is an SMTP server (emersion/go-smtp) standing for an MSSanté
// operator's relay: STARTTLS with a certificate of a test CA, and a client
// certificate of the same CA required before any mail is taken. It keeps
// every message it accepts; it can be stopped and started again on the
// same port.
type relay struct {
	t    testing.TB
	addr string
	tls  *tls.Config

	mu       sync.Mutex
	srv      *smtp.Server
	received []received
	// refused counts the MAIL commands refused for want of a client
	// certificate.
	refused int
}

// received is one accepted message, decoded.
type received struct {
	From, To  string
	MessageID string
	Subject   string
	Body      string
	Raw       string
}

// certs are the PEM files of a test CA, the relay's certificate and the
// hub's client certificate.
type certs struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// newCerts writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into t's temporary directory.
func newCerts(t testing.TB) certs {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "IGC Santé de test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	issue := func(name string, serial int64, usage x509.ExtKeyUsage, ip net.IP) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if ip != nil {
			tmpl.IPAddresses = []net.IP{ip}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", keyDER)
	}
	c := certs{CA: write("ca.pem", "CERTIFICATE", caDER)}
	c.ServerCert, c.ServerKey = issue("relay", 2, x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))
	c.ClientCert, c.ClientKey = issue("maillage", 3, x509.ExtKeyUsageClientAuth, nil)
	return c
}

// startRelay starts the relay on a free port of 127.0.0.1.
func startRelay(t testing.TB, c certs) *relay {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(c.ServerCert, c.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(c.CA)
	pool.AppendCertsFromPEM(caPEM)
	r := &relay{t: t, tls: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	r.serve(l)
	t.Cleanup(r.Stop)
	return r
}

// Port is the relay's port.
func (r *relay) Port() int { return r.addr2().Port }

func (r *relay) addr2() *net.TCPAddr { a, _ := net.ResolveTCPAddr("tcp", r.addr); return a }

func (r *relay) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{relay: r, conn: c}, nil }))
	srv.Domain = "relay.test"
	srv.TLSConfig = r.tls
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(l)
}

// Stop closes the relay: its port refuses connections.
func (r *relay) Stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart serves again on the same port.
func (r *relay) Restart() {
	r.t.Helper()
	l, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(l)
}

// Received returns the messages accepted so far.
func (r *relay) Received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.received...)
}

// session is one SMTP conversation.
type session struct {
	relay *relay
	conn  *smtp.Conn
	from  string
	to    []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// Mail refuses a sender that did not present a client certificate over
// TLS, as MSSanté operators do.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	state, ok := s.conn.TLSConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		s.relay.mu.Lock()
		s.relay.refused++
		s.relay.mu.Unlock()
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "client certificate required"}
	}
	s.from = from
	return nil
}

// Rcpt refuses for good the addresses starting with "inconnu" (no such
// mailbox).
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "inconnu") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	if len(s.to) != 1 {
		return errors.New("one recipient per message expected")
	}
	s.relay.mu.Lock()
	s.relay.received = append(s.relay.received, received{From: s.from, To: s.to[0], MessageID: msg.Header.Get("Message-Id"),
		Subject: subject, Body: string(body), Raw: string(raw)})
	s.relay.mu.Unlock()
	return nil
}
