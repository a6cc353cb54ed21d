package fakeexchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

func jsonResponse(status int, v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		panic("fakeexchange: " + err.Error())
	}
	return response{status: status, header: http.Header{"Content-Type": {"application/json; odata.metadata=minimal; charset=utf-8"}}, body: body}
}

// input is a decoded CmdletInput. Parameter names are matched
// case-insensitively, as PowerShell binds them.
type input struct {
	name   string
	params map[string]json.RawMessage // lower-cased name -> value
	sent   map[string]string          // lower-cased name -> name as sent
}

func decodeInput(raw []byte) (input, error) {
	var body struct {
		CmdletInput *struct {
			CmdletName string                     `json:"CmdletName"`
			Parameters map[string]json.RawMessage `json:"Parameters"`
		} `json:"CmdletInput"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return input{}, errors.New("The request body is not valid JSON.")
	}
	if body.CmdletInput == nil || strings.TrimSpace(body.CmdletInput.CmdletName) == "" {
		return input{}, errors.New("CmdletInput.CmdletName is required.")
	}
	in := input{name: body.CmdletInput.CmdletName, params: map[string]json.RawMessage{}, sent: map[string]string{}}
	for k, v := range body.CmdletInput.Parameters {
		in.params[strings.ToLower(k)] = v
		in.sent[strings.ToLower(k)] = k
	}
	return in, nil
}

// plain returns the parameters decoded, keyed as sent, for the request log.
func (in input) plain() map[string]any {
	out := make(map[string]any, len(in.params))
	for k, raw := range in.params {
		var v any
		_ = json.Unmarshal(raw, &v)
		out[in.sent[k]] = v
	}
	return out
}

// The bodies of the service's errors. error.message is "Invalid Operation"
// on the failures NOTES measured; the not-found answer recorded in the wild
// (an ExchangeOnlineManagement proxy error quoting the REST body, 2023) says
// "Error executing cmdlet" and carries the text in details[0].message, with
// a generic internalexception. A client has to look in both places.
type errBody struct {
	Error struct {
		Code       string      `json:"code"`
		Message    string      `json:"message"`
		Details    []errDetail `json:"details,omitempty"`
		InnerError *innerError `json:"innererror,omitempty"`
	} `json:"error"`
	WarningsType string   `json:"adminapi.warnings@odata.type"`
	Warnings     []string `json:"@adminapi.warnings"`
}

type errDetail struct {
	Code    string `json:"code"`
	Target  string `json:"target"`
	Message string `json:"message"`
}

type innerError struct {
	Message    string      `json:"message"`
	Type       string      `json:"type"`
	StackTrace string      `json:"stacktrace"`
	Internal   *innerError `json:"internalexception,omitempty"`
}

const (
	odataServiceException = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"
	directInvokeException = "Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException"
	stackTrace            = "   at Microsoft.Exchange.AdminApi.CommandInvocation.CommandInvocation.InvokeCommand(QueryContext queryContext, CmdletInvokeInputType cmdletInvokeInputType)"
)

// cmdletError builds an error body. With inDetails false the text is in
// innererror.internalexception.message (typeName its type), as NOTES
// describes parameter errors; with inDetails true it is in
// details[0].message as "<code>|<typeName>|<text>", as the not-found answer
// carries it, and internalexception says nothing useful.
func cmdletError(status int, code, message, typeName, text string, inDetails bool) response {
	var b errBody
	b.Error.Code, b.Error.Message = code, message
	b.WarningsType, b.Warnings = "#Collection(String)", []string{}
	inner := &innerError{Message: message, Type: odataServiceException, StackTrace: stackTrace}
	if inDetails {
		b.Error.Details = []errDetail{{Code: "Client", Message: text}}
		inner.Internal = &innerError{Message: "Exception of type '" + directInvokeException + "' was thrown.", Type: directInvokeException, StackTrace: stackTrace}
	} else {
		inner.Internal = &innerError{Message: text, Type: typeName, StackTrace: stackTrace}
	}
	b.Error.InnerError = inner
	return jsonResponse(status, b)
}

// badParameter is a 400 about a parameter, text in internalexception.
func badParameter(typeName, text string) response {
	return cmdletError(http.StatusBadRequest, "BadRequest", "Invalid Operation", typeName, text, false)
}

// notFound is the answer for an identity that resolves to nothing.
func notFound(identity string) response {
	return cmdletError(http.StatusNotFound, "NotFound", "Error executing cmdlet", "",
		"Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object '"+
			identity+"' couldn't be found on 'FAKPR01A001DC001.FAKPR01A001.PROD.OUTLOOK.COM'.", true)
}

// ambiguous is the answer for an identity that names several recipients:
// ManagementObjectAmbiguousException, its text as Exchange's cmdlets give
// it. That the REST endpoint sends it as a 400 in details, the way it
// sends not-found as a 404, is an assumption.
func ambiguous(identity string) response {
	return cmdletError(http.StatusBadRequest, "BadRequest", "Error executing cmdlet", "",
		"Ex2A2A1F|Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException|The operation couldn't be performed because '"+
			identity+"' matches multiple entries.", true)
}

// throttled is the 429. Retry-After is in whole seconds, rounded up so a
// client that waits that long finds room; its body is empty because what
// the service puts there is not recorded (an assumption either way).
func throttled(wait time.Duration) response {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	return response{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": {strconv.Itoa(secs)}}}
}

// listBody is a successful answer: every cmdlet answers a collection, Set-
// and Disable- an empty one.
type listBody struct {
	Context      string           `json:"@odata.context"`
	WarningsType string           `json:"adminapi.warnings@odata.type"`
	Warnings     []string         `json:"@adminapi.warnings"`
	Value        []map[string]any `json:"value"`
	Next         string           `json:"@odata.nextLink,omitempty"`
}

// page answers one page of values. The next link carries $skiptoken; the
// client re-POSTs the same body to it (CIPP New-ExoBulkRequest.ps1: "The EXO
// admin API pages by re-POSTing the same CmdletInput body to the
// nextLink URL"), and the fake runs the cmdlet again and skips.
func (s *Server) page(r *http.Request, tenant string, values []map[string]any) response {
	size := s.opts.PageSize
	if n := maxPageSize(r.Header.Get("Prefer")); n > 0 && n < size {
		size = n
	}
	skip := 0
	if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(values) {
			return badParameter(odataServiceException, "The skip token is invalid.")
		}
		skip = n
	}
	end := min(len(values), skip+size)
	base := s.URL() + fmt.Sprintf(InvokePathFormat, tenant)
	b := listBody{Context: s.URL() + "/adminapi/beta/" + tenant + "/$metadata#Collection(Exchange.GenericHashTable)",
		WarningsType: "#Collection(String)", Warnings: []string{}, Value: values[skip:end]}
	if b.Value == nil {
		b.Value = []map[string]any{}
	}
	if end < len(values) {
		b.Next = base + "?%24skiptoken=" + strconv.Itoa(end)
	}
	return jsonResponse(http.StatusOK, b)
}

// maxPageSize reads odata.maxpagesize from Prefer, written either
// "odata.maxpagesize=1000" or, as CIPP's bulk requests do,
// "odata.maxpagesize = 1000;odata.continue-on-error".
func maxPageSize(prefer string) int {
	for _, part := range strings.FieldsFunc(prefer, func(r rune) bool { return r == ';' || r == ',' }) {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "odata.maxpagesize") {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// isNull reports whether a raw JSON value is null.
func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
