package fakegraph

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// metadataBase prefixes @odata.context values. Real Graph always names its own
// public host here, and clients treat the context as an identifier rather than
// a link to follow, so the fake keeps Graph's value instead of its own URL.
const metadataBase = "https://graph.microsoft.com/v1.0/$metadata"

// Graph labels successful OData payloads with these parameters; sending the
// same string proves the client copes with a parameterised media type.
const (
	odataContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
	errorContentType = "application/json"
	textContentType  = "text/plain"
)

// plainText is a response body sent as it is, labelled text/plain, the way
// Graph answers a raw $count. Inside a $batch answer it is embedded as a
// JSON string.
type plainText string

// response is what a handler produces. Handlers return it instead of writing
// to an http.ResponseWriter so that $batch can run the same handlers for each
// inner request and embed their answers.
type response struct {
	status int
	header http.Header
	body   any // marshalled as JSON; nil means no body
}

func jsonResponse(status int, body any) response {
	return response{status: status, body: body}
}

// graphError builds an error in Graph's OData shape. The innerError fields
// are filled in when the response is written, because they depend on the
// request being answered.
func graphError(status int, code, message string) response {
	if code == "" {
		code = defaultCode(status)
	}
	if message == "" {
		message = defaultMessage(status)
	}
	return response{status: status, body: &errorBody{Error: errorDetail{Code: code, Message: message}}}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

func badRequest(format string, args ...any) response {
	return graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf(format, args...))
}

func notFound(id string) response {
	return graphError(http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest"
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken"
	case http.StatusForbidden:
		return "Authorization_RequestDenied"
	case http.StatusNotFound:
		return "Request_ResourceNotFound"
	case http.StatusMethodNotAllowed:
		return "Request_BadRequest"
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusGatewayTimeout:
		return "GatewayTimeout"
	case http.StatusInternalServerError:
		return "generalException"
	}
	return "UnknownError"
}

func defaultMessage(status int) string {
	switch status {
	case http.StatusForbidden:
		return "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return "Resource does not exist or one of its queried reference-property objects are not present."
	case http.StatusTooManyRequests:
		return "Too many requests. Please try again later."
	case http.StatusServiceUnavailable:
		return "The service is temporarily unavailable. Please try again later."
	case http.StatusGatewayTimeout:
		return "The gateway did not receive a timely response."
	case http.StatusInternalServerError:
		return "An unexpected error occurred."
	}
	if t := http.StatusText(status); t != "" {
		return t + "."
	}
	return "Error " + strconv.Itoa(status) + "."
}

// finish stamps an error body with the identifiers of the request it
// answers and returns the Content-Type of the body ("" when there is none).
// It is shared by write and $batch, whose items carry their own ids.
func (resp response) finish(requestID, clientRequestID string, now time.Time) string {
	if resp.body == nil {
		return ""
	}
	if _, ok := resp.body.(plainText); ok {
		return textContentType
	}
	eb, ok := resp.body.(*errorBody)
	if !ok {
		return odataContentType
	}
	eb.Error.InnerError = innerError{
		Date:            now.UTC().Format("2006-01-02T15:04:05"),
		RequestID:       requestID,
		ClientRequestID: clientRequestID,
	}
	return errorContentType
}

// write serialises resp. Every answer carries request-id and
// client-request-id, as Graph's do, because clients log them for support.
func (resp response) write(w http.ResponseWriter, requestID, clientRequestID string, now time.Time) {
	h := w.Header()
	for k, vs := range resp.header {
		h[k] = vs
	}
	h.Set("request-id", requestID)
	h.Set("client-request-id", clientRequestID)
	ct := resp.finish(requestID, clientRequestID, now)
	if ct == "" {
		w.WriteHeader(resp.status)
		return
	}
	h.Set("Content-Type", ct)
	var data []byte
	if text, ok := resp.body.(plainText); ok {
		data = []byte(text)
	} else {
		var err error
		if data, err = json.Marshal(resp.body); err != nil {
			// Only a programming error in the fake gets here; make it loud.
			panic(fmt.Sprintf("fakegraph: marshal response: %v", err))
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(data)
}

// newGUID returns a random RFC 4122 version 4 identifier, the shape Graph
// uses for object ids and request ids.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
