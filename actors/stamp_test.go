package actors

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/nflsync/nflsync/messages"
)

// fillFields sets every scalar field of message to a non-zero value and
// appends one element to every repeated message field, so that a copy that
// drops a field differs from the original.
func fillFields(t *testing.T, message protoreflect.Message) {
	t.Helper()

	fields := message.Descriptor().Fields()
	for i := range fields.Len() {
		field := fields.Get(i)
		switch {
		case field.IsList() && field.Kind() == protoreflect.MessageKind:
			list := message.Mutable(field).List()
			element := list.NewElement()
			fillFields(t, element.Message())
			list.Append(element)
		case field.Kind() == protoreflect.StringKind:
			message.Set(field, protoreflect.ValueOfString(string(field.Name())))
		case field.Kind() == protoreflect.Int32Kind:
			message.Set(field, protoreflect.ValueOfInt32(int32(i+1)))
		case field.Kind() == protoreflect.Int64Kind:
			message.Set(field, protoreflect.ValueOfInt64(int64(i+1)))
		case field.Kind() == protoreflect.BoolKind:
			message.Set(field, protoreflect.ValueOfBool(true))
		default:
			t.Fatalf("fillFields: field %s has kind %v, which the test does not fill yet", field.FullName(), field.Kind())
		}
	}
}

func TestStampPlayerWeekCopiesEveryField(t *testing.T) {
	row := &messages.PlayerWeek{}
	fillFields(t, row.ProtoReflect())

	stamped := stampPlayerWeek(row, 1234)
	if got := stamped.GetDetectedUnixNano(); got != 1234 {
		t.Errorf("stamped DetectedUnixNano = %d, want 1234", got)
	}
	if row.GetDetectedUnixNano() == 1234 {
		t.Error("stampPlayerWeek modified the row it copied")
	}

	stamped.DetectedUnixNano = row.GetDetectedUnixNano()
	if !proto.Equal(stamped, row) {
		t.Errorf("stampPlayerWeek dropped a field:\n got %v\nwant %v", stamped, row)
	}
}

func TestStampGameKeepsTheOriginal(t *testing.T) {
	game := &messages.Game{}
	fillFields(t, game.ProtoReflect())
	original := proto.Clone(game)

	stamped := stampGame(game, 1234)
	if got := stamped.GetDetectedUnixNano(); got != 1234 {
		t.Errorf("stamped DetectedUnixNano = %d, want 1234", got)
	}
	if !proto.Equal(game, original) {
		t.Error("stampGame modified the game it copied")
	}
}
