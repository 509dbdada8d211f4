package socialdata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/socialhook/pipeline/internal/jsonobject"
)

// Monitor is a SocialData monitor (GET /monitors).
type Monitor struct {
	ID          string            `json:"id"`
	CreatedAt   string            `json:"created_at"`
	MonitorType string            `json:"monitor_type"`
	Parameters  jsonobject.Object `json:"parameters"`
	WebhookURL  string            `json:"webhook_url,omitempty"`
}

// UserID returns the monitored user's id from the monitor's parameters ("" when it has none, e.g. a search).
func (m Monitor) UserID() string {
	if id := m.Parameters.ID(); id != "" {
		return id
	}
	for _, k := range []string{"user_id", "user_id_str"} {
		if id := (jsonobject.Object{"id": m.Parameters[k]}).ID(); id != "" {
			return id
		}
	}
	return ""
}

// MonitorPage is one page of GET /monitors.
type MonitorPage struct {
	Monitors []Monitor
	Page     int
	LastPage int
}

// ListMonitors returns page (1-based) of the account's monitors.
func (c *Client) ListMonitors(ctx context.Context, page int) (MonitorPage, error) {
	body, err := c.get(ctx, "/monitors?page="+strconv.Itoa(page))
	if err != nil {
		return MonitorPage{}, err
	}
	var w struct {
		Data []Monitor `json:"data"`
		Meta struct {
			Page     int `json:"page"`
			LastPage int `json:"last_page"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return MonitorPage{}, fmt.Errorf("decode monitors page %d: %s", page, jsonErrorDetail(err))
	}
	return MonitorPage{Monitors: w.Data, Page: w.Meta.Page, LastPage: w.Meta.LastPage}, nil
}

// TweetPage is one page of a user's tweets.
type TweetPage struct {
	Tweets     []jsonobject.Object `json:"tweets"`
	NextCursor string              `json:"next_cursor"`
}

// UserTweetsAndReplies returns a page of userID's tweets and replies, newest first (GET
// /twitter/user/{id}/tweets-and-replies?cursor=).
func (c *Client) UserTweetsAndReplies(ctx context.Context, userID, cursor string) (TweetPage, error) {
	var p TweetPage
	err := c.getJSON(ctx, "/twitter/user/"+url.PathEscape(userID)+"/tweets-and-replies"+cursorQuery(cursor), &p)
	return p, err
}

// UserPage is one page of a user list.
type UserPage struct {
	Users      []jsonobject.Object `json:"users"`
	NextCursor string              `json:"next_cursor"`
}

// Following returns a page of the users userID follows (GET /twitter/user/{id}/following?cursor=).
func (c *Client) Following(ctx context.Context, userID, cursor string) (UserPage, error) {
	var p UserPage
	err := c.getJSON(ctx, "/twitter/user/"+url.PathEscape(userID)+"/following"+cursorQuery(cursor), &p)
	return p, err
}

// User returns a user's profile (GET /twitter/user/{id}).
func (c *Client) User(ctx context.Context, userID string) (jsonobject.Object, error) {
	var u jsonobject.Object
	err := c.getJSON(ctx, "/twitter/user/"+url.PathEscape(userID), &u)
	return u, err
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	body, err := c.get(ctx, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %s", path, jsonErrorDetail(err))
	}
	return nil
}

func cursorQuery(cursor string) string {
	if cursor == "" {
		return ""
	}
	return "?cursor=" + url.QueryEscape(cursor)
}
