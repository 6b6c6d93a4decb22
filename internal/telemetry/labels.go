package telemetry

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
)

// Metric label values must come from a closed set: every distinct value is a
// series that the exporter keeps for the life of the process. A review measured
// 23,000 requests with random HTTP methods growing /metrics to 50 MB and the RSS by
// 330 MB. So values a client (or a policy guest) chooses are mapped onto a fixed
// set here, and anything else becomes labelOther.
const labelOther = "other"

// httpMethods are the methods labelled by name (RFC 9110 and PATCH).
var httpMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodConnect: true,
	http.MethodOptions: true, http.MethodTrace: true,
}

// methodLabel is r.Method when it is a standard method, else "other".
func methodLabel(m string) string {
	if httpMethods[m] {
		return m
	}
	return labelOther
}

// statusLabel is the status code when it is a valid one (100..599), else "other".
// Handlers choose statuses from a small fixed set; the clamp keeps a bug from
// turning into unbounded series.
func statusLabel(code int) string {
	if code < 100 || code > 599 {
		return labelOther
	}
	return strconv.Itoa(code)
}

// maxLabelValues bounds the distinct values one open-ended label may take.
const maxLabelValues = 64

// labelCodeShape is the shape of a deny code or policy name kept as a label.
var labelCodeShape = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// boundedLabel admits the first maxLabelValues distinct well-formed values of a
// label whose values are not known in advance (policy names, deny codes chosen by
// a policy's WASM guest) and maps every later or malformed value to "other".
type boundedLabel struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

func (b *boundedLabel) value(v string) string {
	if v == "" {
		return v
	}
	if !labelCodeShape.MatchString(v) {
		return labelOther
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[v]; ok {
		return v
	}
	if len(b.seen) >= maxLabelValues {
		return labelOther
	}
	if b.seen == nil {
		b.seen = map[string]struct{}{}
	}
	b.seen[v] = struct{}{}
	return v
}
