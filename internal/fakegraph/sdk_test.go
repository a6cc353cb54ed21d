package fakegraph

import (
	"context"
	"errors"
	"net/url"
	"testing"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// staticToken hands the SDK the test token for the fake's host only.
type staticToken struct {
	hosts absauth.AllowedHostsValidator
	token string
}

func (p *staticToken) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !p.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	return p.token, nil
}

func (p *staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &p.hosts }

// newSDKAdapter returns the real msgraph-sdk-go request adapter pointed at
// s, with the SDK's default middleware (retries, gzip bodies included), so
// tests see what the bot's client would.
func newSDKAdapter(t *testing.T, s *Server) *msgraphgocore.GraphRequestAdapterBase {
	t.Helper()
	return newSDKAdapterWith(t, s, testToken)
}

// newSDKAdapterWith is newSDKAdapter sending token.
func newSDKAdapterWith(t *testing.T, s *Server, token string) *msgraphgocore.GraphRequestAdapterBase {
	t.Helper()
	auth := absauth.NewBaseBearerTokenAuthenticationProvider(&staticToken{absauth.NewAllowedHostsValidator([]string{"127.0.0.1"}), token})
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonParseNodeFactory()
	write := absser.NewSerializationWriterFactoryRegistry()
	write.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonSerializationWriterFactory()
	adapter, err := msgraphgocore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactory(
		auth, msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0", GraphServiceLibraryVersion: "fakegraph-test"}, parse, write)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(s.URL())
	return adapter
}

// sdkUsers is the SDK's /users builder on adapter.
func sdkUsers(adapter *msgraphgocore.GraphRequestAdapterBase) *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{}, adapter)
}

// odataCode returns the OData error code of an SDK error, "" when it is
// not one.
func odataCode(err error) string {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil && oe.GetErrorEscaped().GetCode() != nil {
		return *oe.GetErrorEscaped().GetCode()
	}
	return ""
}
