package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckVerify(t *testing.T) {
	all := check{present: []string{"socialdata-job-", "x-", "profile-"}}
	profiles := check{query: `EventType="profile_update"`, only: "socialdata-profile-"}
	tests := []struct {
		name    string
		c       check
		rows    []string
		wantErr string
	}{
		{"every prefix present", all, []string{"profile-44196397", "x-dm-1", "socialdata-job-42", "socialdata-tweet-m-1"}, ""},
		{"a prefix missing", all, []string{"profile-44196397", "socialdata-job-42"}, "no workflow ID x-… in the list"},
		{"empty list", all, nil, "no workflow in the list"},
		{"filtered rows all match", profiles, []string{"socialdata-profile-1-abc", "socialdata-profile-2-def"}, ""},
		{"filter not applied", profiles, []string{"socialdata-profile-1-abc", "x-dm-1"}, "shows x-dm-1"},
		{"filtered list empty", profiles, nil, "no workflow in the list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.verify(tt.rows)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestFormatKinds(t *testing.T) {
	require.Equal(t, "none", formatKinds(nil))
	require.Equal(t, "profile-×2 socialdata-job-×1 x-dm-×1",
		formatKinds([]string{"profile-1", "x-dm-2", "profile-3", "socialdata-job-4"}))
}

func TestPageURL(t *testing.T) {
	require.Equal(t, defaultURL, pageURL(defaultURL, ""))
	require.Equal(t, defaultURL+"?query=EventType%3D%22profile_update%22", pageURL(defaultURL, `EventType="profile_update"`))
}
