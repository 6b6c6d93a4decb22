package compat

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// NormalizeText makes two renderings of one message compare equal: line endings
// become \n and surrounding white space goes.
func NormalizeText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// Normalize cleans a history: texts are normalized, empty messages dropped and
// consecutive messages of one role merged with a blank line, the way they reach the
// CLI as a single turn.
func Normalize(msgs []Message) []Message {
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		t := NormalizeText(m.Text)
		if t == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Text += "\n\n" + t
			continue
		}
		out = append(out, Message{Role: m.Role, Text: t})
	}
	return out
}

// Split divides a normalized history ending with a user turn into the earlier
// messages and the new user text.
func Split(msgs []Message) (prior []Message, next string) {
	if len(msgs) == 0 {
		return nil, ""
	}
	return msgs[:len(msgs)-1], msgs[len(msgs)-1].Text
}

// HistoryHash identifies a conversation state as a client sees it: the system
// prompt and the normalized messages. Fields are length-prefixed, so no choice of
// texts makes two different histories collide by concatenation.
func HistoryHash(system string, msgs []Message) string {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write("ccgateway-history-v1")
	write(NormalizeText(system))
	for _, m := range msgs {
		write(m.Role)
		write(NormalizeText(m.Text))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Transcript renders the first turn of a conversation whose client brought earlier
// messages the gateway has never seen: the earlier messages as a clearly delimited
// transcript, then the new user message. It is deterministic, so MatchStored can
// recognize the turn later.
func Transcript(prior []Message, next string) string {
	if len(prior) == 0 {
		return next
	}
	var b strings.Builder
	b.WriteString("The client of this conversation supplied the earlier messages below. They are the conversation so far; continue it by answering the new message after the transcript.\n\n<transcript>\n")
	for _, m := range prior {
		b.WriteString(`<message role="` + m.Role + `">` + "\n")
		b.WriteString(m.Text)
		b.WriteString("\n</message>\n")
	}
	b.WriteString("</transcript>\n\nNew message:\n\n")
	b.WriteString(next)
	return b.String()
}

// MatchStored reports whether a stored conversation's messages are the history a
// client sent as prior. They match message for message, or the stored conversation
// began with a Transcript of prior's first messages and matches from there on.
func MatchStored(prior, stored []Message) bool {
	if len(stored) == 0 || len(stored) > len(prior) {
		return false
	}
	k := len(prior) - len(stored) // prior messages folded into the first stored turn
	for i := 1; i < len(stored); i++ {
		if !sameMessage(stored[i], prior[k+i]) {
			return false
		}
	}
	first := prior[k]
	if first.Role != RoleUser || stored[0].Role != RoleUser {
		return false
	}
	if k == 0 {
		return sameMessage(stored[0], first)
	}
	return NormalizeText(stored[0].Text) == NormalizeText(Transcript(prior[:k], first.Text))
}

func sameMessage(a, b Message) bool {
	return a.Role == b.Role && NormalizeText(a.Text) == NormalizeText(b.Text)
}
