package probe

import "testing"

func TestParseInfo(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Info
	}{
		{"empty", "", Info{Memory: -1}},
		{"redis", "# Server\r\nredis_version:7.0.15\r\n\r\n# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb5:keys=7,expires=0,avg_ttl=0\r\n",
			Info{Keys: 10, Memory: 1048576, Version: "7.0.15"}},
		{"no keyspace", "# Memory\nused_memory:10\n# Keyspace\n", Info{Memory: 10}},
		{"junk", "dbx:keys=5\ndb:keys=3\ndb1:keys=x\nused_memory:abc\n", Info{Memory: -1}},
	} {
		if got := ParseInfo(tc.text); got != tc.want {
			t.Errorf("%s: ParseInfo = %+v; want %+v", tc.name, got, tc.want)
		}
	}
}
