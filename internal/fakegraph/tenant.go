package fakegraph

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Shares of a synthetic tenant, in percent, close to what a mid-sized
// organisation's directory holds; bulk revocation must skip or report
// guests and disabled accounts, so each kind needs to be present.
const (
	tenantGuestPercent    = 3
	tenantDisabledPercent = 2
)

var (
	tenantDepartments = []string{"Sales", "Engineering", "Finance", "Marketing", "Support", "Legal", "HR", "Operations"}
	tenantJobTitles   = []string{"Analyst", "Engineer", "Manager", "Consultant", "Specialist", "Director"}
)

// Tenant returns n synthetic users for load tests and benchmarks: mostly
// enabled members such as user00042@contoso.com, about 3% B2B guests
// (userType Guest, UPN guest00042_fabrikam.com#EXT#@contoso.onmicrosoft.com)
// and about 2% disabled accounts of either kind. Numbers are the user's
// index, zero-padded to at least five digits, so UPNs are unique and
// predictable; ids are random-looking version-4 GUIDs. The result depends
// only on n and seed, so a benchmark run can be repeated exactly.
func Tenant(n int, seed int64) []User {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7265766f6b65626f)) // "revokebo"
	width := max(5, len(strconv.Itoa(n-1)))
	users := make([]User, n)
	for i := range users {
		num := strconv.Itoa(i)
		if pad := width - len(num); pad > 0 {
			num = strings.Repeat("0", pad) + num
		}
		u := &users[i]
		u.ID = seededGUID(rng)
		u.AccountEnabled = rng.IntN(100) >= tenantDisabledPercent
		if rng.IntN(100) < tenantGuestPercent {
			u.UserType = "Guest"
			u.DisplayName = "Guest " + num
			u.Mail = "guest" + num + "@fabrikam.com"
			u.MailNickname = "guest" + num + "_fabrikam.com#EXT#"
			u.UserPrincipalName = u.MailNickname + "@contoso.onmicrosoft.com"
			u.ProxyAddresses = []string{"SMTP:" + u.Mail}
			continue
		}
		u.UserType = "Member"
		u.DisplayName = "User " + num
		u.MailNickname = "user" + num
		u.UserPrincipalName = u.MailNickname + "@contoso.com"
		u.Mail = u.UserPrincipalName
		u.ProxyAddresses = []string{"SMTP:" + u.Mail}
		u.Department = tenantDepartments[rng.IntN(len(tenantDepartments))]
		u.JobTitle = tenantJobTitles[rng.IntN(len(tenantJobTitles))]
	}
	return users
}

// seededGUID draws a version-4 GUID from rng, so ids are reproducible
// where newGUID's are not.
func seededGUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
