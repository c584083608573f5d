package blocks

import (
	"fmt"
	"strings"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// t0 is the fixed time of every fixture.
var t0 = time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC)

// emojiName is 60 user-perceived characters of emoji, most of them several
// runes long: flags, skin tones, variation selectors and ZWJ sequences.
var emojiName = strings.Repeat("🇯🇵👍🏽❤️👩‍💻🚀", 12)

// cjkName is 60 characters of CJK text.
var cjkName = strings.Repeat("機械学習用の計算機です", 6)

// combiningName is 60 characters, each a letter with a combining accent.
var combiningName = strings.Repeat("e\u0301", 60)

func fullSpec() paperspacebot.Spec {
	return paperspacebot.Spec{
		Name:              "gpu-trainer-01",
		Region:            "East Coast (NY2)",
		MachineType:       "P4000",
		TemplateID:        "tkni3aa4",
		TemplateLabel:     "Ubuntu 20.04 ML-in-a-Box",
		SizeGB:            250,
		AssigneeID:        "u7h3k2j9",
		AssigneeLabel:     "Ada Lovelace <ada@example.com>",
		PublicIP:          true,
		NetworkID:         "n1a2b3c",
		NotificationEmail: "ops@example.com",
	}
}

func newUserSpec() paperspacebot.Spec {
	spec := fullSpec()
	spec.AssigneeID = ""
	spec.AssigneeLabel = ""
	spec.NewUser = &paperspacebot.NewUser{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"}
	return spec
}

func networks() []paperspace.Network {
	return []paperspace.Network{
		{ID: "n1a2b3c", Name: "training", Region: "East Coast (NY2)", Network: "10.64.0.0", Netmask: "255.255.240.0"},
		{ID: "n4d5e6f", Name: strings.Repeat("very long network name ", 5), Region: "Europe (AMS1)", Network: "10.80.0.0", Netmask: "255.255.255.0"},
		{ID: "", Name: "no id, left out"},
	}
}

// request returns a request in state with the full spec.
func request(state paperspacebot.State) *paperspacebot.Request {
	return &paperspacebot.Request{
		ID:          "r7k2m9x4q1",
		State:       state,
		Spec:        fullSpec(),
		RequesterID: "U012REQUEST",
		ChannelID:   "C012CHANNEL",
		CreatedAt:   t0.Add(-2 * time.Hour),
		UpdatedAt:   t0,
		ExpiresAt:   t0.Add(22 * time.Hour),
		Attempts:    1,
	}
}

// decided returns a request that admin U012ADMIN moved to state.
func decided(state paperspacebot.State) *paperspacebot.Request {
	r := request(state)
	r.DecidedBy = "U012ADMIN"
	r.DecidedAt = t0.Add(-time.Hour)
	if state == paperspacebot.StateDenied {
		r.DenyReason = "P4000s are reserved for the <ML> team this week & next."
	}
	return r
}

// withMachine returns r with a machine as the Core API reports it.
func withMachine(r *paperspacebot.Request, state, publicIP string) *paperspacebot.Request {
	r.Machine = &paperspace.Machine{
		ID:              "psz8a7b6c",
		Name:            r.Spec.Name,
		State:           state,
		Region:          r.Spec.Region,
		MachineType:     r.Spec.MachineType,
		UsageRate:       "P4000 hourly",
		PublicIPAddress: publicIP,
		UserID:          "u7h3k2j9",
		DtCreated:       t0.Add(-10 * time.Minute),
	}
	return r
}

func liveMachine() *paperspace.Machine {
	return &paperspace.Machine{
		ID:              "psz8a7b6c",
		Name:            "gpu-trainer-01",
		OS:              "Ubuntu 20.04",
		RAM:             32 << 30,
		CPUs:            8,
		GPU:             "Quadro P4000",
		StorageTotal:    250 << 30,
		StorageUsed:     17 << 30,
		UsageRate:       "P4000 hourly",
		State:           "ready",
		Region:          "East Coast (NY2)",
		MachineType:     "P4000",
		PublicIPAddress: "203.0.113.7",
		DtCreated:       t0.Add(-48 * time.Hour),
	}
}

func templates(n int) []paperspace.Template {
	out := make([]paperspace.Template, 0, n)
	for i := range n {
		out = append(out, paperspace.Template{
			ID:    fmt.Sprintf("t%06d", i),
			Label: fmt.Sprintf("Template %d", i),
			OS:    "Ubuntu 22.04",
		})
	}
	return out
}
