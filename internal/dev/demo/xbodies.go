package demo

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/socialhook/pipeline/contract"
	"github.com/socialhook/pipeline/internal/xwebhook"
)

// The fake X sender's deliveries, shaped like testdata/x (X's documented payloads). The X app's subscribed
// users are elonmusk and BillGates; AAA delivers an event once per subscribed user it concerns, and retries.

// xStep is an X delivery of body for forUser.
func (b *builder) xStep(at time.Duration, eventType, forUser, what string, body any) *step {
	raw, _ := json.Marshal(body) // maps of strings, numbers and slices: cannot fail
	return &step{At: at, Kind: kindX, Source: contract.SourceX, EventType: eventType, ForUser: forUser, Body: raw, What: what}
}

// v1Tweet is a v1.1 tweet object (AAA) by author at t, mentioning mentions.
func (b *builder) v1Tweet(author person, text string, t time.Time, mentions ...person) map[string]any {
	id := b.ids.snowflake(t)
	userMentions := []any{}
	for _, m := range mentions {
		i := strings.Index(text, "@"+m.Handle)
		mid, _ := strconv.ParseInt(m.ID, 10, 64)
		userMentions = append(userMentions, map[string]any{"screen_name": m.Handle, "name": m.Name, "id": mid,
			"id_str": m.ID, "indices": []int{i, i + 1 + len(m.Handle)}})
	}
	return map[string]any{
		"created_at": t.UTC().Format(xV1Time), "id": id, "id_str": strconv.FormatInt(id, 10), "text": text,
		"source":    `<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>`,
		"truncated": false, "in_reply_to_status_id": nil, "in_reply_to_status_id_str": nil,
		"in_reply_to_user_id": nil, "in_reply_to_user_id_str": nil, "in_reply_to_screen_name": nil,
		"user": author.xV1User(b.images[author.ID]),
		"geo":  nil, "coordinates": nil, "place": nil, "contributors": nil, "is_quote_status": false,
		"quote_count": 0, "reply_count": 0, "retweet_count": 0, "favorite_count": 0,
		"entities":  map[string]any{"hashtags": []any{}, "urls": []any{}, "user_mentions": userMentions, "symbols": []any{}},
		"favorited": false, "retweeted": false, "filter_level": "low", "lang": "en",
		"timestamp_ms": strconv.FormatInt(t.UnixMilli(), 10),
	}
}

// xTweets: sama mentions both subscribed users (delivered for each, and the first delivery retried by X), and
// elonmusk tweets.
func (b *builder) xTweets() []item {
	mention := func(at time.Duration) []*step {
		tw := b.v1Tweet(sama, "@elonmusk @BillGates good conversation today about energy and compute, thank you both",
			b.p.Start.Add(at), elonmusk, billgates)
		body := func(forUser person) map[string]any {
			return map[string]any{"for_user_id": forUser.ID, "user_has_blocked": false, "tweet_create_events": []any{tw}}
		}
		forA := b.xStep(at, xwebhook.KindTweet, elonmusk.ID, "AAA: @sama mentions @elonmusk and @BillGates, for @elonmusk", body(elonmusk))
		forB := b.xStep(at+b.repeatIn/2, xwebhook.KindTweet, billgates.ID, "AAA: the same tweet, for @BillGates (a recipient)", body(billgates))
		forB.Repeats = forA
		return []*step{forA, forB, b.repeat(forA, at+b.repeatIn, "AAA: X retries the delivery for @elonmusk")}
	}
	own := func(at time.Duration) []*step {
		tw := b.v1Tweet(elonmusk, "Starlink is now available in more countries", b.p.Start.Add(at))
		return []*step{b.xStep(at, xwebhook.KindTweet, elonmusk.ID, "AAA: @elonmusk tweets, for @elonmusk",
			map[string]any{"for_user_id": elonmusk.ID, "tweet_create_events": []any{tw}})}
	}
	return []item{mention, own}
}

// xFavorites: someone likes a subscribed user's tweet.
func (b *builder) xFavorites() []item {
	fav := func(liker, author person, text string) item {
		return func(at time.Duration) []*step {
			t := b.p.Start.Add(at)
			ev := map[string]any{
				"id": b.ids.hex32(), "created_at": t.UTC().Format(xV1Time), "timestamp_ms": t.UnixMilli(),
				"favorited_status": b.v1Tweet(author, text, t.Add(-90*time.Minute)),
				"user":             liker.xV1User(b.images[liker.ID]),
			}
			return []*step{b.xStep(at, xwebhook.KindFavorite, author.ID, "AAA: @"+liker.Handle+" likes a tweet of @"+author.Handle,
				map[string]any{"for_user_id": author.ID, "favorite_events": []any{ev}})}
		}
	}
	return []item{
		fav(karpathy, elonmusk, "Rockets are hard, reusable rockets are harder"),
		fav(naval, billgates, "Ten books I enjoyed this year"),
	}
}

// xFollows: someone follows a subscribed user.
func (b *builder) xFollows() []item {
	follow := func(source, target person) item {
		return func(at time.Duration) []*step {
			ev := map[string]any{
				"type": "follow", "created_timestamp": strconv.FormatInt(b.p.Start.Add(at).UnixMilli(), 10),
				"source": source.xV1User(b.images[source.ID]), "target": target.xV1User(b.images[target.ID]),
			}
			return []*step{b.xStep(at, "follow", target.ID, "AAA: @"+source.Handle+" follows @"+target.Handle,
				map[string]any{"for_user_id": target.ID, "follow_events": []any{ev}})}
		}
	}
	return []item{follow(paulg, billgates), follow(jack, elonmusk)}
}

// xDMs: direct messages; one between the two subscribed users is delivered for both.
func (b *builder) xDMs() []item {
	dm := func(from, to person, text string, both bool) item {
		return func(at time.Duration) []*step {
			t := b.p.Start.Add(at)
			ev := map[string]any{
				"type": "message_create", "id": strconv.FormatInt(b.ids.snowflake(t), 10),
				"created_timestamp": strconv.FormatInt(t.UnixMilli(), 10),
				"message_create": map[string]any{
					"target": map[string]any{"recipient_id": to.ID}, "sender_id": from.ID, "source_app_id": "3033300",
					"message_data": map[string]any{"text": text, "entities": map[string]any{
						"hashtags": []any{}, "symbols": []any{}, "user_mentions": []any{}, "urls": []any{}}},
				},
			}
			body := func(forUser person) map[string]any {
				return map[string]any{
					"for_user_id": forUser.ID, "direct_message_events": []any{ev},
					"apps": map[string]any{"3033300": map[string]any{"id": "3033300", "name": "Twitter Web App", "url": "https://mobile.twitter.com"}},
					"users": map[string]any{
						from.ID: from.xDMUser(b.images[from.ID]),
						to.ID:   to.xDMUser(b.images[to.ID]),
					},
				}
			}
			first := b.xStep(at, xwebhook.KindDM, to.ID, "AAA: DM from @"+from.Handle+" to @"+to.Handle+", for @"+to.Handle, body(to))
			if !both {
				return []*step{first}
			}
			second := b.xStep(at+b.repeatIn/2, xwebhook.KindDM, from.ID, "AAA: the same DM, for @"+from.Handle+" (the sender)", body(from))
			second.Repeats = first
			return []*step{first, second}
		}
	}
	return []item{
		dm(sama, elonmusk, "Are you around for a quick call tomorrow?", false),
		dm(billgates, elonmusk, "Thanks for the tour last week. Sending the notes we discussed.", true),
	}
}

// xaa wraps an X Activity API event.
func (b *builder) xaa(at time.Duration, eventType, tag, forUser string, payload, includes map[string]any, filter map[string]any) map[string]any {
	if filter == nil {
		filter = map[string]any{}
	}
	filter["user_id"] = forUser
	data := map[string]any{
		"event_uuid": b.ids.uuid7(b.p.Start.Add(at)), "filter": filter, "event_type": eventType, "tag": tag, "payload": payload,
	}
	if includes != nil {
		data["includes"] = includes
	}
	return map[string]any{"data": data}
}

// v2Tweet is an X API v2 post by author at t.
func (b *builder) v2Tweet(author person, text string, t time.Time) map[string]any {
	id := strconv.FormatInt(b.ids.snowflake(t), 10)
	return map[string]any{
		"id": id, "text": text, "author_id": author.ID, "created_at": t.UTC().Format(xV2Time), "conversation_id": id,
		"edit_history_tweet_ids": []string{id}, "lang": "en", "possibly_sensitive": false, "reply_settings": "everyone",
		"public_metrics": map[string]any{"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
			"bookmark_count": 0, "impression_count": 0},
	}
}

// xaaPosts: elonmusk posts (post.create).
func (b *builder) xaaPosts() []item {
	return []item{func(at time.Duration) []*step {
		post := b.v2Tweet(elonmusk, "Great progress on the next Starship flight", b.p.Start.Add(at))
		body := b.xaa(at, "post.create", "elon-posts", elonmusk.ID, post,
			map[string]any{"tweets": []any{post}, "users": []any{elonmusk.xV2User(b.images[elonmusk.ID])}}, nil)
		return []*step{b.xStep(at, "post.create", elonmusk.ID, "XAA: @elonmusk posts", body)}
	}}
}

// xaaBio: BillGates edits his bio (profile.update.bio).
func (b *builder) xaaBio() []item {
	return []item{func(at time.Duration) []*step {
		body := b.xaa(at, "profile.update.bio", "bill-profile", billgates.ID,
			map[string]any{"before": billgates.Description, "after": "Co-chair, Gates Foundation. Sharing things I'm learning."}, nil, nil)
		return []*step{b.xStep(at, "profile.update.bio", billgates.ID, "XAA: @BillGates edits his bio", body)}
	}}
}

// xaaFollows: karpathy follows elonmusk (follow.follow).
func (b *builder) xaaFollows() []item {
	return []item{func(at time.Duration) []*step {
		body := b.xaa(at, "follow.follow", "elon-follows", elonmusk.ID, map[string]any{
			"source": map[string]any{"data": karpathy.xV2User(b.images[karpathy.ID])},
			"target": map[string]any{"data": elonmusk.xV2User(b.images[elonmusk.ID])},
		}, nil, nil)
		return []*step{b.xStep(at, "follow.follow", elonmusk.ID, "XAA: @karpathy follows @elonmusk", body)}
	}}
}

// xaaLikes: elonmusk likes a NASA post (like.create), and X delivers it twice.
func (b *builder) xaaLikes() []item {
	return []item{func(at time.Duration) []*step {
		t := b.p.Start.Add(at)
		liked := b.v2Tweet(nasa, "Launch day! Watch the next crew head to the space station", t.Add(-3*time.Hour))
		body := b.xaa(at, "like.create", "elon-likes", elonmusk.ID, map[string]any{
			"id": b.ids.hex32(), "created_at": t.UTC().Format(xV2Time), "timestamp_ms": strconv.FormatInt(t.UnixMilli(), 10),
			"liked_tweet_author_id": nasa.ID, "liked_tweet_id": liked["id"],
		}, map[string]any{"users": []any{nasa.xV2User(b.images[nasa.ID])}, "tweets": []any{liked}},
			map[string]any{"direction": "outbound"})
		s := b.xStep(at, "like.create", elonmusk.ID, "XAA: @elonmusk likes a @NASA post", body)
		return []*step{s, b.repeat(s, at+b.repeatIn, "XAA: X delivers the same like again")}
	}}
}
