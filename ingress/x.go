package ingress

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/socialhook/pipeline/internal/xwebhook"
)

// xSecrets returns the secrets a request may be verified with: the named app's (/webhooks/x/:app) or all.
func (s *Server) xSecrets(c *gin.Context) ([]xwebhook.Secret, bool) {
	if len(s.opts.XSecrets) == 0 {
		abortJSON(c, http.StatusServiceUnavailable, "X webhooks disabled: X_CONSUMER_SECRET is not set")
		return nil, false
	}
	app := c.Param("app")
	if app == "" {
		return s.opts.XSecrets, true
	}
	for _, sec := range s.opts.XSecrets {
		if sec.Name == app {
			return []xwebhook.Secret{sec}, true
		}
	}
	abortJSON(c, http.StatusNotFound, "no X app with this name")
	return nil, false
}

// xCRC answers X's challenge: GET /webhooks/x?crc_token=T (the first secret) or /webhooks/x/:app?crc_token=T.
func (s *Server) xCRC(c *gin.Context) {
	secrets, ok := s.xSecrets(c)
	if !ok {
		return
	}
	token := c.Query("crc_token")
	if token == "" {
		abortJSON(c, http.StatusBadRequest, "missing crc_token")
		return
	}
	c.JSON(http.StatusOK, gin.H{"response_token": xwebhook.CRCResponse(secrets[0], token)})
}

// xWebhook handles POST /webhooks/x[/:app]: the signature is checked on the raw body before anything is
// parsed; a forged or unsigned request gets 401 and nothing is started or stored. Every event of a delivery
// gets its own workflow, keyed by the event's identity; typing/read indicators are archived together; keys
// the pipeline does not know make the whole delivery archived. 200 only when every start was accepted.
func (s *Server) xWebhook(c *gin.Context) {
	secrets, ok := s.xSecrets(c)
	if !ok {
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	if _, ok := xwebhook.Verify(secrets, body, c.GetHeader(xwebhook.SignatureHeader)); !ok {
		abortJSON(c, http.StatusUnauthorized, "unauthorized")
		return
	}
	s.accept(c, routeX, body)
}
