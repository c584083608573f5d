package config

import "testing"

func TestListenAddrChecked(t *testing.T) {
	tests := []struct {
		addr  string
		valid bool
	}{
		{":8080", true},
		{"127.0.0.1:9090", true},
		{"[::1]:0", true},
		{"off", true},
		{"bogus", false},
		{":99999", false},
		{"localhost:http", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			msg := checkListenAddr(tt.addr)
			if (msg == "") != tt.valid {
				t.Errorf("checkListenAddr(%q) = %q, want valid %v", tt.addr, msg, tt.valid)
			}
		})
	}
}

func TestEmptyListenAddrMeansDefault(t *testing.T) {
	s := Settings{HTTPAddr: ""}
	s.normalize()
	if s.HTTPAddr != DefaultHTTPAddr {
		t.Errorf("HTTPAddr = %q, want %q", s.HTTPAddr, DefaultHTTPAddr)
	}
}
