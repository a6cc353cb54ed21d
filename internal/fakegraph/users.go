package fakegraph

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// User is a directory user as the fake stores it. Its fields map onto the
// Graph properties of the same (camel-cased) name.
type User struct {
	ID                string   // object id; AddUser generates one when empty
	DisplayName       string   // displayName
	UserPrincipalName string   // guests look like "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com"
	Mail              string   // mail; empty is served as null
	MailNickname      string   // mailNickname, the alias
	ProxyAddresses    []string // e.g. "SMTP:alice@contoso.com" (primary), "smtp:al@contoso.com"
	UserType          string   // "Member" or "Guest"; AddUser defaults it to "Member"
	AccountEnabled    bool     // accountEnabled; false means sign-in is blocked
	JobTitle          string   // jobTitle
	Department        string   // department
	// OnPremisesSyncEnabled is served as null when false, as Graph does for
	// cloud-only users.
	OnPremisesSyncEnabled bool
	// Federated marks a user of a federated domain, who signs in at an
	// external identity provider: Entra holds no password to reset. It is
	// not a Graph property (the domain's authenticationType is).
	Federated bool
	// SignInSessionsValidFrom is served with second precision; the zero time
	// is served as null.
	SignInSessionsValidFrom time.Time
	// LastPasswordChange is served as lastPasswordChangeDateTime, with
	// second precision (null when zero); an accepted password sets it.
	LastPasswordChange time.Time
}

func (u User) clone() User {
	u.ProxyAddresses = slices.Clone(u.ProxyAddresses)
	return u
}

// AddUser stores u. A user with the same ID (compared case-insensitively)
// is replaced in place, keeping its position in the paging order.
func (s *Server) AddUser(u User) {
	s.AddUsers(u)
}

// AddUsers stores each user as AddUser does, under one lock so a listing
// running concurrently sees all of them or none.
func (s *Server) AddUsers(us ...User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) == 0 && len(us) > 64 {
		// Loading a big tenant into an empty server is the common case
		// for benchmarks; sizing up front avoids rehashing 100,000 keys
		// several times over.
		s.byKey = make(map[string]int, 2*len(us))
	}
	s.users = slices.Grow(s.users, len(us))
	s.seqs = slices.Grow(s.seqs, len(us))
	// New users are carved out of shared blocks: one allocation instead
	// of one per user keeps a 100,000-user load fast and light on the GC.
	// Users are never removed, so no block is pinned needlessly.
	var block []User
	for k, u := range us {
		u = u.clone()
		if u.ID == "" {
			u.ID = newGUID()
		}
		if u.UserType == "" {
			u.UserType = "Member"
		}
		id := strings.ToLower(u.ID)
		i, ok := s.byKey[id]
		if ok && strings.EqualFold(s.users[i].ID, u.ID) {
			if old := strings.ToLower(s.users[i].UserPrincipalName); old != "" && s.byKey[old] == i {
				delete(s.byKey, old)
			}
			*s.users[i] = u
			s.forgetReplica(i)
		} else {
			if len(block) == 0 {
				block = make([]User, len(us)-k)
			}
			block[0] = u
			i = len(s.users)
			s.users = append(s.users, &block[0])
			block = block[1:]
			s.nextSeq++
			s.seqs = append(s.seqs, s.nextSeq)
		}
		s.byKey[id] = i
		if u.UserPrincipalName != "" {
			s.byKey[strings.ToLower(u.UserPrincipalName)] = i
		}
	}
}

// User returns a copy of the user whose id or userPrincipalName is key,
// matched case-insensitively like Graph's /users/{key}.
func (s *Server) User(key string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return User{}, false
	}
	return u.clone(), true
}

// Revocations returns how many revokeSignInSessions calls succeeded for the
// user whose id or userPrincipalName is key.
func (s *Server) Revocations(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return 0
	}
	return s.revocations[strings.ToLower(u.ID)]
}

// TotalRevocations returns how many revokeSignInSessions calls succeeded.
func (s *Server) TotalRevocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalRevoke
}

// lookup finds a user by id or UPN; s.mu must be held.
func (s *Server) lookup(key string) *User {
	if i, ok := s.byKey[strings.ToLower(key)]; ok {
		return s.users[i]
	}
	return nil
}

func (s *Server) getUser(c *call) response {
	sel, err := parseSelect(c.queryOption("$select"))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return notFound(key)
	}
	body := userJSON(s.readView(u), sel)
	body["@odata.context"] = metadataBase + "#" + entitySet(sel) + "/$entity"
	return jsonResponse(http.StatusOK, body)
}

func (s *Server) revokeSignInSessions(c *call) response {
	key := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(key)
	if u == nil {
		return notFound(key)
	}
	s.noteWrite(u)
	// Stored at full precision so a test can compare it with a time it took
	// before the call; the wire form is truncated to seconds like Graph's.
	u.SignInSessionsValidFrom = s.opts.Now().UTC()
	s.revocations[strings.ToLower(u.ID)]++
	s.totalRevoke++
	return jsonResponse(http.StatusOK, map[string]any{
		"@odata.context": metadataBase + "#Edm.Boolean",
		"value":          true,
	})
}

// defaultSelect is what Graph returns for a user when $select is absent.
var defaultSelect = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// userJSON renders u with the selected properties (nil: the default set) and
// always the id, as Graph does. Properties the fake does not model are valid
// to select and come back as null, or [] for businessPhones.
func userJSON(u *User, sel []string) map[string]any {
	if sel == nil {
		sel = defaultSelect
	}
	out := map[string]any{"id": u.ID}
	for _, name := range sel {
		out[name] = propertyJSON(u, name)
	}
	return out
}

func propertyJSON(u *User, name string) any {
	str := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	switch name {
	case "id":
		return u.ID
	case "displayName":
		return str(u.DisplayName)
	case "userPrincipalName":
		return str(u.UserPrincipalName)
	case "mail":
		return str(u.Mail)
	case "mailNickname":
		return str(u.MailNickname)
	case "proxyAddresses":
		return append([]string{}, u.ProxyAddresses...)
	case "userType":
		return str(u.UserType)
	case "accountEnabled":
		return u.AccountEnabled
	case "jobTitle":
		return str(u.JobTitle)
	case "department":
		return str(u.Department)
	case "onPremisesSyncEnabled":
		if !u.OnPremisesSyncEnabled {
			return nil
		}
		return true
	case "signInSessionsValidFromDateTime":
		if u.SignInSessionsValidFrom.IsZero() {
			return nil
		}
		return u.SignInSessionsValidFrom.UTC().Format("2006-01-02T15:04:05Z")
	case "lastPasswordChangeDateTime":
		if u.LastPasswordChange.IsZero() {
			return nil
		}
		return u.LastPasswordChange.UTC().Format("2006-01-02T15:04:05Z")
	case "businessPhones":
		return []string{}
	}
	return nil
}

// entitySet names the users entity set as Graph's @odata.context does,
// listing the selected properties when there is a $select.
func entitySet(sel []string) string {
	if sel == nil {
		return "users"
	}
	return "users(" + strings.Join(sel, ",") + ")"
}

// parseSelect turns $select values into canonical property names, nil when
// absent. Graph matches names case-insensitively and rejects unknown ones.
func parseSelect(values []string) ([]string, error) {
	return parseSelectOf(values, userProperties, "user")
}

// userProperties maps lower-cased names to the canonical names of every
// property of microsoft.graph.user in msgraph-sdk-go v1.89.0's model, so a
// $select the real service accepts is accepted here too.
var userProperties = func() map[string]string {
	m := make(map[string]string)
	for _, name := range strings.Fields(`aboutMe accountEnabled activities ageGroup
		agreementAcceptances appRoleAssignments assignedLicenses assignedPlans authentication
		authorizationInfo birthday businessPhones calendar calendarGroups calendars calendarView
		chats city cloudClipboard cloudPCs companyName consentProvidedForMinor contactFolders
		contacts country createdDateTime createdObjects creationType customSecurityAttributes
		dataSecurityAndGovernance department deviceEnrollmentLimit
		deviceManagementTroubleshootingEvents directReports displayName drive drives
		employeeExperience employeeHireDate employeeId employeeLeaveDateTime employeeOrgData
		employeeType events extensions externalUserState externalUserStateChangeDateTime
		faxNumber followedSites givenName hireDate identities imAddresses
		inferenceClassification insights interests isManagementRestricted isResourceAccount
		jobTitle joinedTeams lastPasswordChangeDateTime legalAgeGroupClassification
		licenseAssignmentStates licenseDetails mail mailboxSettings mailFolders mailNickname
		managedAppRegistrations managedDevices manager memberOf messages mobilePhone mySite
		oauth2PermissionGrants officeLocation onenote onlineMeetings onPremisesDistinguishedName
		onPremisesDomainName onPremisesExtensionAttributes onPremisesImmutableId
		onPremisesLastSyncDateTime onPremisesProvisioningErrors onPremisesSamAccountName
		onPremisesSecurityIdentifier onPremisesSyncEnabled onPremisesUserPrincipalName
		otherMails outlook ownedDevices ownedObjects passwordPolicies passwordProfile
		pastProjects people permissionGrants photo photos planner postalCode
		preferredDataLocation preferredLanguage preferredName presence print provisionedPlans
		proxyAddresses registeredDevices responsibilities schools scopedRoleMemberOf
		securityIdentifier serviceProvisioningErrors settings showInAddressList signInActivity
		signInSessionsValidFromDateTime skills solutions sponsors state streetAddress surname
		teamwork todo transitiveMemberOf usageLocation userPrincipalName userType
		deletedDateTime id`) {
		m[strings.ToLower(name)] = name
	}
	return m
}()
