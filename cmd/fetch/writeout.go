package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/greenfetch/greenfetch/fetcher"
)

// writeOut is a -w/--write-out template: text with {field} and
// {dotted.path} references to the fields of a JSON result, and the escapes
// \t, \n, \r, \\ and \{. Each result prints the template once, fields
// filled in: strings as they are (control characters escaped), numbers
// and booleans as in JSON, null as nothing, lists of strings (a header's
// values) joined with ", ", other objects and arrays as compact JSON.
type writeOut struct {
	parts []writePart
}

// writePart is literal text, or a field when path is set.
type writePart struct {
	lit  string
	path []string
}

// parseWriteOut parses a template and checks every field it names
// against the result's JSON fields, so that a typo is a usage error at
// startup rather than an empty column.
func parseWriteOut(tmpl string) (*writeOut, error) {
	w := &writeOut{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			w.parts = append(w.parts, writePart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && i+1 < len(tmpl):
			i++
			switch tmpl[i] {
			case 't':
				lit.WriteByte('\t')
			case 'n':
				lit.WriteByte('\n')
			case 'r':
				lit.WriteByte('\r')
			case '\\', '{', '}':
				lit.WriteByte(tmpl[i])
			default:
				lit.WriteByte('\\')
				lit.WriteByte(tmpl[i])
			}
		case c == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("'{' at byte %d is not closed (write \\{ for a brace)", i+1)
			}
			name := tmpl[i+1 : i+end]
			path := strings.Split(name, ".")
			if name == "" || !knownField(reflect.TypeOf(fetcher.Result{}), path) {
				return nil, fmt.Errorf("unknown field {%s}; fields are those of a JSON result: %s", name, strings.Join(resultFieldNames(), ", "))
			}
			flush()
			w.parts = append(w.parts, writePart{path: path})
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return w, nil
}

// append appends the template filled in from v (a result).
func (w *writeOut) append(b []byte, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		return append(b, "write-out: "+err.Error()+"\n"...)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj any
	if err := dec.Decode(&obj); err != nil {
		return append(b, "write-out: "+err.Error()+"\n"...)
	}
	for _, p := range w.parts {
		if p.path == nil {
			b = append(b, p.lit...)
			continue
		}
		b = appendValue(b, lookup(obj, p.path))
	}
	return b
}

func lookup(v any, path []string) any {
	for _, name := range path {
		switch x := v.(type) {
		case map[string]any:
			val, ok := x[name]
			if !ok {
				// Header names: {headers.content-type} finds Content-Type.
				for k, kv := range x {
					if strings.EqualFold(k, name) {
						val, ok = kv, true
						break
					}
				}
			}
			if !ok {
				return nil
			}
			v = val
		case []any:
			i, err := strconv.Atoi(name)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return appendEscaped(b, x)
	case json.Number:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case []any:
		// A header's values: "a, b", as HTTP joins them.
		strs := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				strs = nil
				break
			}
			strs = append(strs, s)
		}
		if strs != nil {
			return appendEscaped(b, strings.Join(strs, ", "))
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return appendEscaped(b, string(raw))
}

var jsonMarshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

// jsonName returns the JSON name of a struct field, and false for a
// field JSON leaves out.
func jsonName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, true
}

// knownField reports whether path names a field of values of type t as
// encoding/json writes them.
func knownField(t reflect.Type, path []string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if len(path) == 0 {
		return true
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		// Its own encoding: the fields of the JSON of a zero value (such
		// as Result's "ok", or Timings' phases), and the struct's own
		// json-tagged fields (those left out when empty).
		raw, err := json.Marshal(reflect.New(t).Interface())
		if err != nil {
			return false
		}
		var obj any
		if json.Unmarshal(raw, &obj) != nil {
			return false
		}
		if m, ok := obj.(map[string]any); ok {
			if v, ok := m[path[0]]; ok {
				if len(path) == 1 {
					return true
				}
				if _, isObj := v.(map[string]any); !isObj && t.Kind() != reflect.Struct {
					return false
				}
			}
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Tag.Get("json") == "" {
				if f.Anonymous && knownField(f.Type, path) {
					return true // an embedded struct's fields (Result's crawl fields)
				}
				continue
			}
			if name, ok := jsonName(f); ok && name == path[0] {
				return knownField(f.Type, path[1:])
			}
		}
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Tag.Get("json") == "" {
				if knownField(f.Type, path) {
					return true
				}
				continue
			}
			if name, ok := jsonName(f); ok && name == path[0] {
				return knownField(f.Type, path[1:])
			}
		}
		return false
	case reflect.Map:
		return knownField(t.Elem(), path[1:])
	case reflect.Slice, reflect.Array:
		if _, err := strconv.Atoi(path[0]); err != nil {
			return false
		}
		return knownField(t.Elem(), path[1:])
	case reflect.Interface:
		return true
	}
	return false
}

// resultFieldNames lists the top-level fields of a JSON result, for the
// message of an unknown field.
func resultFieldNames() []string {
	var names []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	// The fields a JSON result always has, in its order ("ok" included,
	// which no struct field holds)...
	if raw, err := json.Marshal(&fetcher.Result{}); err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err == nil {
			for dec.More() {
				tok, err := dec.Token()
				var value json.RawMessage
				if err != nil || dec.Decode(&value) != nil {
					break
				}
				add(tok.(string))
			}
		}
	}
	// ...then those left out when empty.
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Tag.Get("json") == "" {
				walk(f.Type)
				continue
			}
			if name, ok := jsonName(f); ok {
				add(name)
			}
		}
	}
	walk(reflect.TypeOf(fetcher.Result{}))
	return names
}

var errWriteOutJSON = errors.New("-w/--write-out and --format json exclude each other: the template sets each line")
