package sharepoint

import (
	"strings"
	"testing"
)

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, message string
	}{
		{"json light", `{"odata.error":{"code":"-2147024891, System.UnauthorizedAccessException","message":{"lang":"en-US","value":"Access denied."}}}`,
			"-2147024891, System.UnauthorizedAccessException", "Access denied."},
		{"verbose", `{"error":{"code":"-1, Microsoft.SharePoint.Client.ResourceNotFoundException","message":{"lang":"en-US","value":"Cannot find resource for the request X."}}}`,
			"-1, Microsoft.SharePoint.Client.ResourceNotFoundException", "Cannot find resource for the request X."},
		{"message as string", `{"error":{"code":"-2147024891, System.UnauthorizedAccessException","message":"Attempted to perform an unauthorized operation."}}`,
			"-2147024891, System.UnauthorizedAccessException", "Attempted to perform an unauthorized operation."},
		{"refused token", `{"error_description":"Unsupported app only token."}`, "", "Unsupported app only token."},
		{"oauth style", `{"error":"invalid_token","error_description":"The token is expired."}`, "invalid_token", "The token is expired."},
		{"empty", ``, "", ""},
		{"html", `<html><body>Service Unavailable</body></html>`, "", ""},
	} {
		code, msg := parseError([]byte(tc.body))
		if code != tc.code || msg != tc.message {
			t.Errorf("%s: got (%q, %q), want (%q, %q)", tc.name, code, msg, tc.code, tc.message)
		}
	}
	long := `{"odata.error":{"code":"c","message":{"value":"` + strings.Repeat("é", 2*maxMessage) + `"}}}`
	if _, msg := parseError([]byte(long)); len([]rune(msg)) != maxMessage+1 {
		t.Errorf("long message kept %d runes, want %d and an ellipsis", len([]rune(msg)), maxMessage)
	}
}

func TestEncodeRequest(t *testing.T) {
	got, err := encodeRequest(`a"b\c<d>é@contoso.com`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"userName":"a\"b\\c\u003cd\u003eé@contoso.com"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
