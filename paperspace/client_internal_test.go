package paperspace

import "testing"

func TestEncodeQuery(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value string
		want  string
	}{
		{"plus", "machineType", "GPU+", "machineType=GPU%2B"},
		{"space and parentheses", "region", "East Coast (NY2)", "region=East%20Coast%20%28NY2%29"},
		{"at sign", "email", "jon+test@example.com", "email=jon%2Btest%40example.com"},
		{"ampersand", "name", "a&b=c", "name=a%26b%3Dc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encodeQuery(map[string][]string{tt.key: {tt.value}}); got != tt.want {
				t.Errorf("encodeQuery(%s=%q) = %q, want %q", tt.key, tt.value, got, tt.want)
			}
		})
	}
}
