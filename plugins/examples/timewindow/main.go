// Command timewindow is an example custom policy: it allows requests only during
// given UTC hours. The hours come from the key's metadata "allowed_hours_utc" when
// present, else from the configuration:
//
//	{"allowed_hours_utc": "9-17,20-22"}
//
// A range "a-b" allows hours a through b-1; "9" alone allows 09:00-09:59. Build it
// like the bundled policies (see docs/policies.md).
package main

import (
	"strconv"
	"strings"

	"github.com/ccgateway/ccgateway/plugins/sdk"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

func init() {
	sdk.Register(decide)
	sdk.Needs(abi.FieldNowMS | abi.FieldKeyMetadata | abi.FieldConfig)
}

func main() {}

// hours is a set of allowed UTC hours; bit h is hour h.
type hours uint32

var configs = sdk.NewCached(func(raw []byte) (hours, error) {
	var spec string
	if len(raw) > 0 {
		d := abijson.NewDecoder(raw)
		for k, ok := d.FirstKey(); ok; k, ok = d.NextKey() {
			if string(k) == "allowed_hours_utc" {
				spec = d.String()
			} else {
				d.Skip()
			}
		}
		if err := d.End(); err != nil {
			return 0, err
		}
	}
	return parseHours(spec)
})

// parseHours parses "9-17,20-22"; an empty spec allows every hour.
func parseHours(spec string) (hours, error) {
	if strings.TrimSpace(spec) == "" {
		return 1<<24 - 1, nil
	}
	var h hours
	for _, part := range strings.Split(spec, ",") {
		from, to, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(from)
		if err != nil || a < 0 || a > 23 {
			return 0, &hourError{part}
		}
		b := a + 1
		if isRange {
			if b, err = strconv.Atoi(to); err != nil || b < 0 || b > 24 {
				return 0, &hourError{part}
			}
		}
		for x := a; x != b; x = (x + 1) % 24 { // "22-2" wraps past midnight
			h |= 1 << x
			if b == 24 && x == 23 {
				break
			}
		}
	}
	return h, nil
}

type hourError struct{ part string }

func (e *hourError) Error() string { return "timewindow: bad hour range " + strconv.Quote(e.part) }

func decide(in *abi.Input) abi.Output {
	allowed, err := configs.Get(in.Config)
	if spec, ok := in.Key.Metadata["allowed_hours_utc"]; ok {
		allowed, err = parseHours(spec)
	}
	if err != nil {
		return abi.Denied("bad_time_window", err.Error())
	}
	hour := int(in.NowMS / 3_600_000 % 24)
	if allowed&(1<<hour) != 0 {
		return abi.Allowed()
	}
	out := abi.Denied(abi.CodeOutsideTimeWindow, "requests are allowed only during hours "+strconv.Quote(hoursString(allowed))+" UTC")
	if allowed != 0 {
		wait := int64(1)
		for allowed&(1<<((hour+int(wait))%24)) == 0 {
			wait++
		}
		out.RetryAfterS = wait*3600 - in.NowMS/1000%3600
	}
	return out
}

func hoursString(h hours) string {
	var b []byte
	for x := 0; x < 24; x++ {
		if h&(1<<x) != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(x), 10)
		}
	}
	return string(b)
}
