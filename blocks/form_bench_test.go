package blocks

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// benchMetadata is private metadata of the size the slash command carries:
// the channel and the response URL.
const benchMetadata = `{"c":"C012CHANNEL","r":"https://hooks.slack.com/commands/T012TEAM/1234567890123/abcdefghijklmnopqrstuvwx"}`

// BenchmarkFormModal measures building the views that "/paperspace create"
// sends: the loading view for views.open, and the create form for
// views.update, empty or filled, with and without encoding it as JSON, as
// slack-go does before sending it.
func BenchmarkFormModal(b *testing.B) {
	forms := []struct {
		name string
		form Form
	}{
		{"create empty", Form{Mode: FormCreate, PrivateMetadata: benchMetadata, Networks: networks()}},
		{"create filled", Form{Mode: FormCreate, Spec: fullSpec(), PrivateMetadata: benchMetadata, Networks: networks()}},
		{"request with new user", Form{Mode: FormRequest, Spec: newUserSpec(), PrivateMetadata: benchMetadata, Networks: networks()}},
	}
	for _, tt := range forms {
		b.Run(tt.name+"/build", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = FormModal(tt.form)
			}
		})
		b.Run(tt.name+"/build and encode", func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				data, err := json.Marshal(FormModal(tt.form))
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(size), "json-bytes")
		})
	}
	b.Run("loading/build and encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(LoadingModal("Create machine", "Loading the form…")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeFormModal measures decoding a create form into slack-go's
// View, which slack-go does with the view in every views.open and
// views.update response.
func BenchmarkDecodeFormModal(b *testing.B) {
	form := FormModal(Form{Mode: FormCreate, Spec: paperspacebot.Spec{}, PrivateMetadata: benchMetadata, Networks: networks()})
	data, err := json.Marshal(form)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var view slack.View
		if err := json.Unmarshal(data, &view); err != nil {
			b.Fatal(err)
		}
	}
}
