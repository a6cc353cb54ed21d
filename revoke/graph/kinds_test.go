package graph

import (
	"testing"

	"github.com/revokebot/revokebot/revoke"
)

// TestKindOfRefusal: the answers Graph gives, as captured from the service
// where possible, and the kind each becomes.
func TestKindOfRefusal(t *testing.T) {
	tests := []struct {
		status        int
		code, message string
		want          revoke.ErrorKind
	}{
		{400, "Request_BadRequest", "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.", revoke.KindSynced},
		{400, "Request_BadRequest", "Property 'onPremisesSyncEnabled' is read-only and cannot be set.", revoke.KindBadRequest},
		{400, "Request_BadRequest", "Invalid property 'favouriteColour'.", revoke.KindBadRequest},
		{403, "Forbidden", "Your tenant is not licensed for this feature.", revoke.KindUnlicensed},
		{403, "AccessDenied", "Your tenant is not licensed for this feature. Please upgrade your subscription to access it.", revoke.KindUnlicensed},
		{403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license", revoke.KindUnlicensed},
		{400, "AadPremiumLicenseRequired", "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.", revoke.KindUnlicensed},
		{403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", revoke.KindForbidden},
		// The words alone do not decide: the status must fit too.
		{404, "Request_ResourceNotFound", "Resource 'on-premises' does not exist or one of its queried reference-property objects are not present.", revoke.KindNotFound},
		{500, "generalException", "The tenant is not licensed for this feature.", revoke.KindOther},
		{429, "TooManyRequests", "Too many requests. Please try again later.", revoke.KindThrottled},
	}
	for _, tt := range tests {
		if got := kindOfRefusal(tt.status, tt.code, tt.message); got != tt.want {
			t.Errorf("%d %s %q: kind %d, want %d", tt.status, tt.code, tt.message, got, tt.want)
		}
	}
}
