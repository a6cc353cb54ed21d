package fakesharepoint

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// SharePoint's error codes are "HRESULT, exception type" strings.
const (
	codeAccessDenied = "-2147024891, System.UnauthorizedAccessException"
	msgAccessDenied  = "Access denied. You do not have permission to perform this action or access this resource."
	codeNotFound     = "-1, Microsoft.SharePoint.Client.ResourceNotFoundException"
	codeBadQuery     = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"
	codeBadMethod    = "-1, Microsoft.SharePoint.Client.ClientServiceException"
	codeNullArgument = "-2147467261, System.ArgumentNullException"

	resultType = "Microsoft.Online.SharePoint.TenantManagement.SPOUserSessionRevocationResult"
)

// format is the OData JSON format a request asked for with Accept.
type format int

const (
	minimalMetadata format = iota // application/json, SharePoint's default
	noMetadata
	verbose
)

func formatOf(accept string) format {
	a := strings.ToLower(strings.ReplaceAll(accept, " ", ""))
	switch {
	case strings.Contains(a, "odata=verbose"):
		return verbose
	case strings.Contains(a, "odata=nometadata"):
		return noMetadata
	}
	return minimalMetadata
}

func (f format) contentType() string {
	switch f {
	case verbose:
		return "application/json;odata=verbose;charset=utf-8"
	case noMetadata:
		return "application/json;odata=nometadata;streaming=true;charset=utf-8"
	}
	return "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

func jsonResponse(status int, contentType string, v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		panic("fakesharepoint: " + err.Error())
	}
	return response{status: status, header: http.Header{"Content-Type": {contentType}}, body: body}
}

type odataMessage struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type odataErr struct {
	Code    string       `json:"code"`
	Message odataMessage `json:"message"`
}

// odataError is SharePoint's REST error body: under "odata.error" in JSON
// light, under "error" in verbose JSON.
func odataError(f format, status int, code, message string) response {
	e := odataErr{Code: code, Message: odataMessage{Lang: "en-US", Value: message}}
	if f == verbose {
		return jsonResponse(status, f.contentType(), struct {
			Error odataErr `json:"error"`
		}{e})
	}
	return jsonResponse(status, f.contentType(), struct {
		Error odataErr `json:"odata.error"`
	}{e})
}

// tokenError is the body SharePoint sends when it refuses the bearer token
// itself, whatever the Accept header.
func tokenError(description string) response {
	return jsonResponse(http.StatusUnauthorized, "application/json", struct {
		Description string `json:"error_description"`
	}{description})
}

func notFound(f format, path string) response {
	resource := strings.TrimPrefix(strings.TrimPrefix(path, "/"), "_api/")
	return odataError(f, http.StatusNotFound, codeNotFound, fmt.Sprintf("Cannot find resource for the request %s.", resource))
}

func methodNotAllowed(f format, method string) response {
	resp := odataError(f, http.StatusMethodNotAllowed, codeBadMethod, fmt.Sprintf(
		"The HTTP method '%s' cannot be used to access the resource 'RevokeAllUserSessions'. The operation type of the resource is specified as 'Default'. Please use correct HTTP method to invoke the resource.", method))
	resp.header.Set("Allow", http.MethodPost)
	return resp
}

// parseBody reads {"userName":"…"}, refusing anything else as SharePoint
// does: a parameter the method does not have, no user name, or no JSON.
func parseBody(raw []byte, f format) (string, response, bool) {
	var params map[string]json.RawMessage
	if err := json.Unmarshal(raw, &params); err != nil {
		return "", odataError(f, http.StatusBadRequest, codeBadQuery, "Invalid JSON. A token was not recognized in the JSON content."), false
	}
	for name := range params {
		if name != "userName" {
			return "", odataError(f, http.StatusBadRequest, codeBadQuery,
				fmt.Sprintf("The parameter %s does not exist in method RevokeAllUserSessions.", name)), false
		}
	}
	var upn string
	if v, ok := params["userName"]; ok {
		if err := json.Unmarshal(v, &upn); err != nil {
			return "", odataError(f, http.StatusBadRequest, codeBadQuery,
				"An unexpected 'StartObject' node was found when reading from the JSON reader. A 'PrimitiveValue' node was expected."), false
		}
	}
	if upn == "" {
		return "", odataError(f, http.StatusBadRequest, codeNullArgument, "Value cannot be null.\r\nParameter name: userName"), false
	}
	return upn, response{}, true
}

// stateResponse is the SPOUserSessionRevocationResult in the asked format.
func stateResponse(f format, base string, state int) response {
	switch f {
	case noMetadata:
		return jsonResponse(http.StatusOK, f.contentType(), struct {
			State int `json:"State"`
		}{state})
	case verbose:
		type metadata struct {
			Type string `json:"type"`
		}
		type entity struct {
			Metadata metadata `json:"__metadata"`
			State    int      `json:"State"`
		}
		return jsonResponse(http.StatusOK, f.contentType(), struct {
			D entity `json:"d"`
		}{entity{metadata{resultType}, state}})
	}
	return jsonResponse(http.StatusOK, f.contentType(), struct {
		Metadata string `json:"odata.metadata"`
		Type     string `json:"odata.type"`
		State    int    `json:"State"`
	}{base + "/_api/$metadata#SP.ApiData.SPOUserSessionRevocationResults/@Element", resultType, state})
}
