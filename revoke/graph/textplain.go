package graph

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
)

// textPlain is the media type Graph answers a raw $count with.
const textPlain = "text/plain"

// textParseNodeFactory reads text/plain answers. msgraph-sdk-go's root
// package registers kiota-serialization-text-go for them, but this package
// builds its adapter without that package (it costs minutes of build), and
// without a factory for text/plain the SDK fails every $count with
// "content type text/plain does not have a factory registered". The
// scalars below are all a $count needs.
type textParseNodeFactory struct{}

func (textParseNodeFactory) GetValidContentType() (string, error) { return textPlain, nil }

func (textParseNodeFactory) GetRootParseNode(contentType string, content []byte) (absser.ParseNode, error) {
	if !strings.EqualFold(contentType, textPlain) {
		return nil, errors.New("graph: the text parser was handed " + contentType)
	}
	return &textNode{text: strings.TrimSpace(string(content))}, nil
}

// textNode is a whole text/plain body read as one scalar; it has no
// children, collections or objects.
type textNode struct {
	text string
	// The hooks are kept only because the interface asks for them: a
	// scalar assigns no fields.
	before, after absser.ParsableAction
}

var (
	errNotStructured = errors.New("graph: a text/plain answer holds a single value, not a structure")
	errOtherScalar   = errors.New("graph: only integers, booleans and strings are read from text/plain")
)

func (n *textNode) parseError(want string) error {
	return errors.New("graph: text/plain answer " + strconv.Quote(n.text) + " is not " + want)
}

func (n *textNode) GetInt32Value() (*int32, error) {
	v, err := strconv.ParseInt(n.text, 10, 32)
	if err != nil {
		return nil, n.parseError("a 32-bit integer")
	}
	i := int32(v)
	return &i, nil
}

func (n *textNode) GetInt64Value() (*int64, error) {
	v, err := strconv.ParseInt(n.text, 10, 64)
	if err != nil {
		return nil, n.parseError("an integer")
	}
	return &v, nil
}

func (n *textNode) GetStringValue() (*string, error) { s := n.text; return &s, nil }
func (n *textNode) GetRawValue() (any, error)        { s := n.text; return &s, nil }

func (n *textNode) GetBoolValue() (*bool, error) {
	v, err := strconv.ParseBool(n.text)
	if err != nil {
		return nil, n.parseError("a boolean")
	}
	return &v, nil
}

func (n *textNode) GetChildNode(string) (absser.ParseNode, error) { return nil, errNotStructured }
func (n *textNode) GetCollectionOfObjectValues(absser.ParsableFactory) ([]absser.Parsable, error) {
	return nil, errNotStructured
}
func (n *textNode) GetCollectionOfPrimitiveValues(string) ([]any, error) {
	return nil, errNotStructured
}
func (n *textNode) GetCollectionOfEnumValues(absser.EnumFactory) ([]any, error) {
	return nil, errNotStructured
}
func (n *textNode) GetObjectValue(absser.ParsableFactory) (absser.Parsable, error) {
	return nil, errNotStructured
}

// The other scalars are not answered as text by any call this package
// makes; refusing them is safer than guessing a format.
func (n *textNode) GetInt8Value() (*int8, error)       { return nil, errOtherScalar }
func (n *textNode) GetByteValue() (*byte, error)       { return nil, errOtherScalar }
func (n *textNode) GetFloat32Value() (*float32, error) { return nil, errOtherScalar }
func (n *textNode) GetFloat64Value() (*float64, error) { return nil, errOtherScalar }
func (n *textNode) GetTimeValue() (*time.Time, error)  { return nil, errOtherScalar }
func (n *textNode) GetUUIDValue() (*uuid.UUID, error)  { return nil, errOtherScalar }
func (n *textNode) GetByteArrayValue() ([]byte, error) { return nil, errOtherScalar }
func (n *textNode) GetISODurationValue() (*absser.ISODuration, error) {
	return nil, errOtherScalar
}
func (n *textNode) GetTimeOnlyValue() (*absser.TimeOnly, error)  { return nil, errOtherScalar }
func (n *textNode) GetDateOnlyValue() (*absser.DateOnly, error)  { return nil, errOtherScalar }
func (n *textNode) GetEnumValue(absser.EnumFactory) (any, error) { return nil, errOtherScalar }

func (n *textNode) GetOnBeforeAssignFieldValues() absser.ParsableAction { return n.before }
func (n *textNode) SetOnBeforeAssignFieldValues(a absser.ParsableAction) error {
	n.before = a
	return nil
}
func (n *textNode) GetOnAfterAssignFieldValues() absser.ParsableAction { return n.after }
func (n *textNode) SetOnAfterAssignFieldValues(a absser.ParsableAction) error {
	n.after = a
	return nil
}
