package demo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// person is a real public account the demo talks about. Ids and handles are the real ones; counts are rounded
// and profile texts are made up for the demo.
type person struct {
	ID          string
	Handle      string
	Name        string
	Description string
	Location    string
	URL         any // string or nil
	Verified    bool
	Followers   int64
	Following   int64
	Tweets      int64
	CreatedAt   time.Time
}

// Monitored users: each gets a user_tweets, a user_following and a user_profile monitor.
var (
	elonmusk     = person{"44196397", "elonmusk", "Elon Musk", "", "", nil, true, 217_258_406, 1_013, 70_054, date(2009, 6, 2, 20, 12, 29)}
	billgates    = person{"50393960", "BillGates", "Bill Gates", "Sharing things I'm learning through my foundation work and other interests.", "Seattle, WA", nil, true, 65_120_000, 596, 4_540, date(2009, 6, 24, 18, 44, 10)}
	nasa         = person{"11348282", "NASA", "NASA", "There's space for everybody.", "Pale Blue Dot", nil, true, 88_900_000, 175, 73_200, date(2007, 12, 19, 20, 20, 32)}
	sundarpichai = person{"14130366", "sundarpichai", "Sundar Pichai", "CEO, Google and Alphabet", "", nil, true, 5_600_000, 420, 2_950, date(2008, 3, 12, 5, 51, 53)}
)

// monitoredUsers in the order the demo introduces them.
var monitoredUsers = []person{elonmusk, billgates, nasa, sundarpichai}

// Accounts that get followed, mention, like and write DMs.
var (
	vitalik     = person{"295218901", "VitalikButerin", "vitalik.eth", "mi pinxe lo crino tcati", "Earth", nil, true, 5_702_740, 465, 20_628, date(2011, 5, 8, 16, 3, 3)}
	sama        = person{"1605", "sama", "Sam Altman", "", "San Francisco", nil, true, 3_900_000, 900, 5_400, date(2006, 7, 16, 19, 57, 12)}
	karpathy    = person{"33836629", "karpathy", "Andrej Karpathy", "Building things.", "Stanford", nil, true, 1_300_000, 1_000, 9_800, date(2009, 4, 21, 6, 49, 15)}
	naval       = person{"745273", "naval", "Naval", "", "", nil, true, 2_800_000, 0, 39_000, date(2007, 2, 6, 22, 31, 38)}
	paulg       = person{"183749519", "paulg", "Paul Graham", "", "", nil, true, 2_000_000, 630, 50_000, date(2010, 8, 27, 22, 26, 12)}
	spacex      = person{"34743251", "SpaceX", "SpaceX", "SpaceX designs, manufactures and launches the world's most advanced rockets and spacecraft", "Hawthorne, CA", nil, true, 38_000_000, 120, 10_900, date(2009, 5, 8, 14, 39, 37)}
	openai      = person{"4398626122", "OpenAI", "OpenAI", "", "", nil, true, 4_100_000, 1, 2_300, date(2015, 12, 6, 22, 51, 8)}
	barackobama = person{"813286", "BarackObama", "Barack Obama", "Dad, husband, President, citizen.", "Washington, DC", nil, true, 131_000_000, 540_000, 16_900, date(2007, 3, 5, 22, 8, 25)}
	jack        = person{"12", "jack", "jack", "", "", nil, true, 6_400_000, 4_000, 29_000, date(2006, 3, 21, 20, 50, 14)}
)

var others = []person{vitalik, sama, karpathy, naval, paulg, spacex, openai, barackobama, jack}

func date(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

// imageURL is a profile image URL in X's format: a snowflake and a short name.
func imageURL(snowflakeID int64, handle string) string {
	return fmt.Sprintf("https://pbs.twimg.com/profile_images/%d/%s_normal.jpg", snowflakeID, shortName(handle))
}

func shortName(handle string) string {
	if len(handle) > 8 {
		return handle[:8]
	}
	return handle
}

// socialDataUser is p as SocialData shows a user (data of profile_update and new_following, a tweet's user).
func (p person) socialDataUser(image string) map[string]any {
	return map[string]any{
		"id": json.Number(p.ID), "id_str": p.ID, "name": p.Name, "screen_name": p.Handle,
		"location": p.Location, "url": p.URL, "description": p.Description,
		"protected": false, "verified": p.Verified,
		"followers_count": p.Followers, "friends_count": p.Following, "listed_count": p.Followers / 1500,
		"favourites_count": p.Tweets * 2, "statuses_count": p.Tweets,
		"created_at":              p.CreatedAt.Format(socialDataTime),
		"profile_banner_url":      "https://pbs.twimg.com/profile_banners/" + p.ID + "/1726163678",
		"profile_image_url_https": image,
		"can_dm":                  false,
	}
}

// xV1User is p as X's v1.1 objects (AAA deliveries) show a user.
func (p person) xV1User(image string) map[string]any {
	id, _ := strconv.ParseInt(p.ID, 10, 64)
	return map[string]any{
		"id": id, "id_str": p.ID, "name": p.Name, "screen_name": p.Handle,
		"location": p.Location, "url": p.URL, "description": p.Description,
		"protected": false, "verified": p.Verified,
		"followers_count": p.Followers, "friends_count": p.Following, "listed_count": p.Followers / 1500,
		"favourites_count": p.Tweets * 2, "statuses_count": p.Tweets,
		"created_at":              p.CreatedAt.Format(xV1Time),
		"profile_image_url":       "http" + image[len("https"):],
		"profile_image_url_https": image,
		"profile_banner_url":      "https://pbs.twimg.com/profile_banners/" + p.ID + "/1726163678",
		"default_profile":         false,
		"default_profile_image":   false,
	}
}

// xDMUser is p as the users map of an AAA DM delivery shows it.
func (p person) xDMUser(image string) map[string]any {
	return map[string]any{
		"id": p.ID, "created_timestamp": strconv.FormatInt(p.CreatedAt.UnixMilli(), 10),
		"name": p.Name, "screen_name": p.Handle, "location": p.Location, "description": p.Description,
		"url": p.URL, "protected": false, "verified": p.Verified,
		"followers_count": p.Followers, "friends_count": p.Following, "statuses_count": p.Tweets,
		"profile_image_url": "http" + image[len("https"):], "profile_image_url_https": image,
	}
}

// xV2User is p as X API v2 objects (XAA deliveries) show a user.
func (p person) xV2User(image string) map[string]any {
	url, _ := p.URL.(string)
	return map[string]any{
		"id": p.ID, "name": p.Name, "username": p.Handle, "description": p.Description,
		"location": p.Location, "url": url, "verified": p.Verified, "verified_type": "blue",
		"protected": false, "profile_image_url": image,
		"created_at": p.CreatedAt.Format(xV2Time),
		"public_metrics": map[string]any{
			"followers_count": p.Followers, "following_count": p.Following, "tweet_count": p.Tweets,
		},
	}
}

// Timestamp formats of each API.
const (
	socialDataTime = "2006-01-02T15:04:05.000000Z"
	xV1Time        = "Mon Jan 02 15:04:05 +0000 2006"
	xV2Time        = "2006-01-02T15:04:05.000Z"
)

// Tweets the monitored users post in the demo. Plain, made-up texts.
var tweetTexts = map[string][]string{
	elonmusk.ID: {
		"Starship is stacked and ready for the next flight test",
		"The team did great work this week",
		"Falcon 9 booster landed for the 25th time",
		"Working on the next software update, should roll out next week",
		"Interesting discussion, will follow up",
		"Production ramp is going well",
	},
	billgates.ID: {
		"My summer reading list is up on the blog",
		"Visited a new battery plant today, impressive engineering",
		"Great progress on malaria vaccines this year",
	},
	nasa.ID: {
		"Live now: two astronauts step outside the International Space Station for a spacewalk",
		"New image from the James Webb Space Telescope: a stellar nursery 7,500 light-years away",
		"The Artemis II crew completed another training run today",
		"Our Perseverance rover just collected its latest rock sample on Mars",
	},
	sundarpichai.ID: {
		"Excited to see what developers build with the new APIs",
		"Great conversations with students at the campus visit today",
		"Search has a few new features rolling out this week",
	},
}

// profileChanges are the profile updates, in order, per monitored user.
var profileChanges = map[string][]map[string]any{
	elonmusk.ID: {
		{"name": "Kekius Maximus"},
		{"location": "Mars", "description": "Occupy Mars"},
	},
	billgates.ID: {
		{"description": "Sharing things I'm learning through my foundation work, books and other interests."},
	},
	nasa.ID: {
		{"location": "Low Earth orbit"},
	},
	sundarpichai.ID: {
		{"url": "https://blog.google", "location": "Mountain View, CA"},
	},
}

// followPlan says whom each monitored user follows during the demo.
var followPlan = map[string][]person{
	elonmusk.ID:  {vitalik, spacex, karpathy},
	nasa.ID:      {spacex, openai},
	billgates.ID: {barackobama},
}
