package fakeexchange

import (
	"encoding/json"
	"strings"
)

// kind is how a parameter binds, after PowerShell's rules as the service
// applies them.
type kind int

const (
	kString       kind = iota // a string (a number is converted); null refused
	kStringOrNull             // a string, or null to clear
	kBool                     // $true/$false or a number; a string is refused
	kBoolOrNull               // as kBool, or null ("blank", the default)
	kSwitch                   // a switch: true or false
	kResultSize               // a positive number or "Unlimited"
	kEnum                     // one or more enum names, prefix-matched
)

// param is one parameter a cmdlet takes; name is its canonical spelling.
type param struct {
	name    string
	kind    kind
	members []string // kEnum only
}

// cmdlet is one cmdlet the fake serves. run answers the values of a
// successful call, or an error response and false.
type cmdlet struct {
	write    bool
	params   []param
	required []string
	run      func(s *Server, in input) ([]map[string]any, response, bool)
}

func (c cmdlet) param(lower string) (param, bool) {
	for _, p := range c.params {
		if strings.ToLower(p.name) == lower {
			return p, true
		}
	}
	return param{}, false
}

// Messages PowerShell gives for parameters it cannot bind. The unknown
// parameter's type is what NOTES measured (400 AmbiguousParameterSetException).
const (
	ambiguousType  = "System.Management.Automation.AmbiguousParameterSetException"
	ambiguousText  = "Parameter set cannot be resolved using the specified named parameters. One or more parameters issued cannot be used together or an insufficient number of parameters were provided."
	bindingType    = "System.Management.Automation.ParameterBindingException"
	transformType  = "System.Management.Automation.ParameterBindingArgumentTransformationException"
	validationType = "System.Management.Automation.ParameterBindingValidationException"
)

// check binds the parameters of in against c, answering 400 as the service
// does when one cannot be bound.
func (in input) check(c cmdlet) (response, bool) {
	for lower, raw := range in.params {
		p, ok := c.param(lower)
		if !ok {
			return badParameter(ambiguousType, ambiguousText), false
		}
		if text := bindError(p, raw); text != "" {
			t := transformType
			if p.kind == kString && isNull(raw) {
				t = validationType
			}
			return badParameter(t, text), false
		}
	}
	for _, name := range c.required {
		if _, ok := in.params[strings.ToLower(name)]; !ok {
			return badParameter(bindingType, "Cannot process command because of one or more missing mandatory parameters: "+name+"."), false
		}
	}
	return response{}, true
}

// bindError returns why raw cannot bind to p, "" when it can.
func bindError(p param, raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "Cannot process argument transformation on parameter '" + p.name + "'."
	}
	boolText := "Cannot process argument transformation on parameter '" + p.name + "'. Cannot convert value \"System.String\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0."
	switch p.kind {
	case kString:
		switch v.(type) {
		case string, float64:
			return ""
		case nil:
			return "Cannot bind argument to parameter '" + p.name + "' because it is null."
		}
	case kStringOrNull:
		switch v.(type) {
		case string, float64, nil:
			return ""
		}
	case kBool, kBoolOrNull:
		switch v.(type) {
		case bool, float64:
			return ""
		case nil:
			if p.kind == kBoolOrNull {
				return ""
			}
		}
		// "false" as a string would be $true if PowerShell converted it
		// the way a cast does; it refuses instead, and so does the fake.
		return boolText
	case kSwitch:
		if _, ok := v.(bool); ok {
			return ""
		}
		return boolText
	case kResultSize:
		switch x := v.(type) {
		case float64:
			if x >= 1 {
				return ""
			}
		case string:
			if strings.EqualFold(x, "Unlimited") {
				return ""
			}
		}
	case kEnum:
		for _, name := range enumValues(v) {
			if _, ok := matchEnum(name, p.members); !ok {
				return "Cannot process argument transformation on parameter '" + p.name + "'. Unable to match the identifier name " + name +
					" to a valid enumerator name. Specify one of the following enumerator names and try again:\r\n" + strings.Join(p.members, ", ")
			}
		}
		return ""
	}
	return "Cannot process argument transformation on parameter '" + p.name + "'."
}

func enumValues(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return []string{""}
}

// matchEnum resolves an enum name as the service does: an exact name
// (case-insensitive), else the only member it is a prefix of. NOTES
// (live-measured): "QuarantineTypes=File" ran as FileTypeBlock and answered
// 200; so a wrong but prefix-valid value succeeds doing something else.
// Ambiguous or unknown names fail, listing the members.
func matchEnum(name string, members []string) (string, bool) {
	var found []string
	for _, m := range members {
		if strings.EqualFold(m, name) {
			return m, true
		}
		if name != "" && len(name) < len(m) && strings.EqualFold(m[:len(name)], name) {
			found = append(found, m)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// Accessors for parameters check has bound.

// str returns a string parameter and whether it was sent (and not null).
func (in input) str(name string) (string, bool) {
	var v any
	if raw, ok := in.params[strings.ToLower(name)]; !ok || json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		b, _ := json.Marshal(x)
		return string(b), true
	}
	return "", false
}

// has reports whether a parameter was sent at all, null included.
func (in input) has(name string) bool {
	_, ok := in.params[strings.ToLower(name)]
	return ok
}

// boolean returns a boolean parameter; null is reported as null.
func (in input) boolean(name string) (val, null bool) {
	var v any
	_ = json.Unmarshal(in.params[strings.ToLower(name)], &v)
	switch x := v.(type) {
	case bool:
		return x, false
	case float64:
		return x != 0, false
	}
	return false, true
}

// enums returns the members an enum parameter resolved to.
func (in input) enums(name string, members []string) []string {
	var v any
	if json.Unmarshal(in.params[strings.ToLower(name)], &v) != nil {
		return nil
	}
	var out []string
	for _, n := range enumValues(v) {
		if m, ok := matchEnum(n, members); ok {
			out = append(out, m)
		}
	}
	return out
}
