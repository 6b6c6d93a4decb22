package abijson

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// The Input decoder is one function with one loop, driven by a small state
// machine, because under wazero's WithCloseOnContextDone each loop iteration and
// each non-inlined call costs a trip out of native code. Rare shapes (escaped or
// non-ASCII strings, metadata, config, unknown keys, floats with exponents) fall
// back to the general Decoder.

// Contexts: which object or array the decoder is in.
const (
	cxRoot = iota
	cxRequest
	cxKey
	cxUsage
	cxPerms
	cxCounters
	cxReqTools
	cxKeyTools
	cxModels
)

// Parser states.
const (
	stValue     = iota // a value of the root (only at the start)
	stFirstKey         // after '{'
	stKey              // after ','
	stFieldVal         // after ':'
	stAfter            // after a value
	stFirstElem        // after '['
	stElem             // after ',' in an array
)

// field identifies a known member by its context and key.
type field uint8

const (
	fUnknown field = iota
	fABI
	fRequest
	fKey
	fCounters
	fNowMS
	fConfig
	fEndpoint
	fModel
	fReqMaxTokens
	fStream
	fReqTools
	fClientIP
	fConversationID
	fMessageBytes
	fID
	fStatus
	fUsage
	fPerms
	fMetadata
	fMaxConcurrent
	fCostPerDay
	fKeyTools
	fRPM
	fRPD
	fTPD
	fModels
	fPermMaxTokens
	fAllowStreaming
	fRequestsLastMinute
	fRequestsToday
	fTokensToday
	fCostToday
	fInFlight
)

// members lists the known (context, key) pairs.
var members = []struct {
	cx  int
	key *uint64
	f   field
}{
	{cxRoot, &keyAbi, fABI},
	{cxRoot, &keyRequest, fRequest},
	{cxRoot, &keyKey, fKey},
	{cxRoot, &keyCounters, fCounters},
	{cxRoot, &keyNowMs, fNowMS},
	{cxRoot, &keyConfig, fConfig},
	{cxRequest, &keyEndpoint, fEndpoint},
	{cxRequest, &keyModel, fModel},
	{cxRequest, &keyMaxTokens, fReqMaxTokens},
	{cxRequest, &keyStream, fStream},
	{cxRequest, &keyTools, fReqTools},
	{cxRequest, &keyClientIp, fClientIP},
	{cxRequest, &keyConversationId, fConversationID},
	{cxRequest, &keyMessageBytes, fMessageBytes},
	{cxKey, &keyId, fID},
	{cxKey, &keyStatus, fStatus},
	{cxKey, &keyUsageLimit, fUsage},
	{cxKey, &keyPermissions, fPerms},
	{cxKey, &keyMetadata, fMetadata},
	{cxKey, &keyMaxConcurrentRequests, fMaxConcurrent},
	{cxKey, &keyCostUsdPerDay, fCostPerDay},
	{cxKey, &keyTools, fKeyTools},
	{cxUsage, &keyRequestsPerMinute, fRPM},
	{cxUsage, &keyRequestsPerDay, fRPD},
	{cxUsage, &keyTokensPerDay, fTPD},
	{cxPerms, &keyModels, fModels},
	{cxPerms, &keyMaxTokens, fPermMaxTokens},
	{cxPerms, &keyAllowStreaming, fAllowStreaming},
	{cxCounters, &keyRequestsLastMinute, fRequestsLastMinute},
	{cxCounters, &keyRequestsToday, fRequestsToday},
	{cxCounters, &keyTokensToday, fTokensToday},
	{cxCounters, &keyCostToday, fCostToday},
	{cxCounters, &keyInFlight, fInFlight},
}

// lookupBits sizes the member table; with about 35 members in 1024 slots a
// collision-free multiplier is found in a few tries.
const lookupBits = 10

var (
	lookupMul   uint64
	lookupTable [1 << lookupBits]struct {
		h uint64
		f field
	}
)

func init() {
	for mul := uint64(0x9e3779b97f4a7c15); ; mul += 2 {
		lookupTable = [1 << lookupBits]struct {
			h uint64
			f field
		}{}
		ok := true
		for _, m := range members {
			h := *m.key ^ uint64(m.cx)
			e := &lookupTable[(h*mul)>>(64-lookupBits)]
			if e.f != fUnknown {
				ok = false
				break
			}
			e.h, e.f = h, m.f
		}
		if ok {
			lookupMul = mul
			return
		}
	}
}

// lookup finds the member with key hash h in context cx: one multiplication and
// one comparison, where a switch would cost a branch per case.
func lookup(cx int, h uint64) field {
	h ^= uint64(cx)
	if e := &lookupTable[(h*lookupMul)>>(64-lookupBits)]; e.h == h {
		return e.f
	}
	return fUnknown
}

// parseDigits parses up to 8 ASCII digits at data[p:] in one step and returns the
// value and how many digits there were (0 when data[p] is not a digit). It needs 8
// readable bytes.
func parseDigits(data []byte, p int) (uint64, int) {
	w := binary.LittleEndian.Uint64(data[p:])
	lt := (w - lsb*'0') &^ w & msb         // bytes below '0'
	gt := ((w + lsb*(0x7f-'9')) | w) & msb // bytes above '9'
	n := bits.TrailingZeros64(lt|gt) >> 3
	if n == 0 {
		return 0, 0
	}
	x := (w - lsb*'0') << (8 * uint(8-n)) // the digits, as if led by zeros
	x = (x*10 + x>>8) & 0x00FF00FF00FF00FF
	x = (x*100 + x>>16) & 0x0000FFFF0000FFFF
	x = (x*10000 + x>>32) & 0xFFFFFFFF
	return x, n
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16}

// unsafeString aliases b.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func setList(in *abi.Input, cx int, list []string) {
	switch cx {
	case cxReqTools:
		in.Request.Tools = list
	case cxKeyTools:
		in.Key.Tools = list
	case cxModels:
		in.Key.Permissions.Models = list
	}
}

// Kinds of member values, to dispatch on with one table lookup.
const (
	kindSkip = iota
	kindInt
	kindString
	kindObject
	kindList
	kindBool
	kindFloat
	kindABI
	kindMetadata
	kindConfig
)

// fieldKind and fieldOffset say how to decode each member and where in abi.Input
// it goes, so that storing a value needs no switch.
var (
	fieldKind = [...]uint8{
		fABI: kindABI, fRequest: kindObject, fKey: kindObject, fCounters: kindObject, fNowMS: kindInt,
		fConfig: kindConfig, fEndpoint: kindString, fModel: kindString, fReqMaxTokens: kindInt,
		fStream: kindBool, fReqTools: kindList, fClientIP: kindString, fConversationID: kindString,
		fMessageBytes: kindInt, fID: kindString, fStatus: kindString, fUsage: kindObject,
		fPerms: kindObject, fMetadata: kindMetadata, fMaxConcurrent: kindInt, fCostPerDay: kindFloat,
		fKeyTools: kindList, fRPM: kindInt, fRPD: kindInt, fTPD: kindInt, fModels: kindList,
		fPermMaxTokens: kindInt, fAllowStreaming: kindBool, fRequestsLastMinute: kindInt,
		fRequestsToday: kindInt, fTokensToday: kindInt, fCostToday: kindFloat, fInFlight: kindInt,
	}
	fieldOffset = [len(fieldKind)]uintptr{
		fNowMS:              unsafe.Offsetof(abi.Input{}.NowMS),
		fEndpoint:           offRequest + unsafe.Offsetof(abi.Request{}.Endpoint),
		fModel:              offRequest + unsafe.Offsetof(abi.Request{}.Model),
		fReqMaxTokens:       offRequest + unsafe.Offsetof(abi.Request{}.MaxTokens),
		fStream:             offRequest + unsafe.Offsetof(abi.Request{}.Stream),
		fClientIP:           offRequest + unsafe.Offsetof(abi.Request{}.ClientIP),
		fConversationID:     offRequest + unsafe.Offsetof(abi.Request{}.ConversationID),
		fMessageBytes:       offRequest + unsafe.Offsetof(abi.Request{}.MessageBytes),
		fID:                 offKey + unsafe.Offsetof(abi.Key{}.ID),
		fStatus:             offKey + unsafe.Offsetof(abi.Key{}.Status),
		fMaxConcurrent:      offKey + unsafe.Offsetof(abi.Key{}.MaxConcurrentRequests),
		fCostPerDay:         offKey + unsafe.Offsetof(abi.Key{}.CostUSDPerDay),
		fRPM:                offUsage + unsafe.Offsetof(abi.UsageLimit{}.RequestsPerMinute),
		fRPD:                offUsage + unsafe.Offsetof(abi.UsageLimit{}.RequestsPerDay),
		fTPD:                offUsage + unsafe.Offsetof(abi.UsageLimit{}.TokensPerDay),
		fPermMaxTokens:      offPerms + unsafe.Offsetof(abi.Permissions{}.MaxTokens),
		fAllowStreaming:     offPerms + unsafe.Offsetof(abi.Permissions{}.AllowStreaming),
		fRequestsLastMinute: offCounters + unsafe.Offsetof(abi.Counters{}.RequestsLastMinute),
		fRequestsToday:      offCounters + unsafe.Offsetof(abi.Counters{}.RequestsToday),
		fTokensToday:        offCounters + unsafe.Offsetof(abi.Counters{}.TokensToday),
		fCostToday:          offCounters + unsafe.Offsetof(abi.Counters{}.CostToday),
		fInFlight:           offCounters + unsafe.Offsetof(abi.Counters{}.InFlight),
		fReqTools:           offRequest + unsafe.Offsetof(abi.Request{}.Tools),
		fKeyTools:           offKey + unsafe.Offsetof(abi.Key{}.Tools),
		fModels:             offPerms + unsafe.Offsetof(abi.Permissions{}.Models),
	}
)

const (
	offRequest  = unsafe.Offsetof(abi.Input{}.Request)
	offKey      = unsafe.Offsetof(abi.Input{}.Key)
	offUsage    = offKey + unsafe.Offsetof(abi.Key{}.UsageLimit)
	offPerms    = offKey + unsafe.Offsetof(abi.Key{}.Permissions)
	offCounters = unsafe.Offsetof(abi.Input{}.Counters)
)

// contextOf returns the context that the object or array value of f opens.
func contextOf(f field) int {
	switch f {
	case fRequest:
		return cxRequest
	case fKey:
		return cxKey
	case fCounters:
		return cxCounters
	case fUsage:
		return cxUsage
	case fPerms:
		return cxPerms
	case fReqTools:
		return cxReqTools
	case fKeyTools:
		return cxKeyTools
	default:
		return cxModels
	}
}
