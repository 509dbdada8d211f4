package ingress

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

// ctxWorkflowID is the gin context key under which handlers leave the workflow ID for the request log.
const ctxWorkflowID = "workflow_id"

// requestLog logs one line per request through the root logger. It logs the route template (for example
// /webhooks/socialdata/:token), never the raw path, because the SocialData token is part of the path.
func requestLog(logger *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		fields := []zap.Field{
			zap.String("method", c.Request.Method),
			zap.String("route", route),
			zap.Int("status", c.Writer.Status()),
			zap.Duration("latency", time.Since(start)),
			zap.String("client_ip", c.ClientIP()),
			zap.Int64("request_bytes", c.Request.ContentLength),
		}
		if id := c.GetString(ctxWorkflowID); id != "" {
			fields = append(fields, zap.String("workflow_id", id))
		}
		switch status := c.Writer.Status(); {
		case status >= 500:
			logger.Error("http request", fields...)
		case status >= 400:
			logger.Warn("http request", fields...)
		default:
			logger.Info("http request", fields...)
		}
	}
}

// recovery turns a panic into a 500 and one error log line, without dumping the request (its path and headers
// may carry secrets).
func recovery(logger *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				logger.Error("panic in handler", zap.String("route", c.FullPath()), zap.Any("panic", p), zap.StackSkip("stack", 2))
				if !c.Writer.Written() {
					abortJSON(c, http.StatusInternalServerError, "internal error")
				} else {
					c.Abort()
				}
			}
		}()
		c.Next()
	}
}

// tokenChecker compares a presented secret with the configured one in constant time, whatever their lengths:
// both are hashed first, so neither the content nor the length leaks through timing.
type tokenChecker struct {
	want [sha256.Size]byte
	set  bool
}

func newTokenChecker(secret string) tokenChecker {
	return tokenChecker{want: sha256.Sum256([]byte(secret)), set: secret != ""}
}

func (t tokenChecker) matches(got string) bool {
	sum := sha256.Sum256([]byte(got))
	return t.set && subtle.ConstantTimeCompare(sum[:], t.want[:]) == 1
}
