package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
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
// curl's %{name} works too, for the variables a result has (curlVars).
type writeOut struct {
	parts []writePart
}

// writePart is literal text, a field when path is set, or one of curl's
// variables when curl is set.
type writePart struct {
	lit  string
	path []string
	curl func(b []byte, obj any) []byte
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
		case c == '%' && i+1 < len(tmpl) && tmpl[i+1] == '{':
			// curl's %{name}, for the variables a result has.
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("'%%{' at byte %d is not closed", i+1)
			}
			name := tmpl[i+2 : i+end]
			fn, ok := curlVars[name]
			if !ok {
				return nil, fmt.Errorf("%%{%s} is not one of curl's variables fetch has (%s); or name a field of a JSON result as {name}: %s",
					name, strings.Join(curlVarNames(), ", "), strings.Join(resultFieldNames(), ", "))
			}
			flush()
			w.parts = append(w.parts, writePart{curl: fn})
			i += end
		case c == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("'{' at byte %d is not closed (write \\{ for a brace)", i+1)
			}
			name := tmpl[i+1 : i+end]
			path := strings.Split(name, ".")
			if name == "" || !knownField(reflect.TypeOf(fetcher.Result{}), path) {
				hint := ""
				if _, ok := curlVars[name]; ok {
					hint = fmt.Sprintf(" (curl's variable is %%{%s})", name)
				}
				return nil, fmt.Errorf("unknown field {%s}%s; fields are those of a JSON result: %s", name, hint, strings.Join(resultFieldNames(), ", "))
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
		switch {
		case p.curl != nil:
			b = p.curl(b, obj)
		case p.path == nil:
			b = append(b, p.lit...)
		default:
			b = appendValue(b, lookup(obj, p.path))
		}
	}
	return b
}

// curlVars are curl's -w variables that a result has, each printed as
// curl prints it: %{http_code} with three digits (000 without a
// response), times in seconds with six decimals. curl's times run from
// the start of the transfer to the end of a phase; a result's phases
// (timings_ms) each last their own time, summed over the fetch's
// connections (redirects, retries), so %{time_connect} is dns + connect
// and %{time_appconnect} dns + connect + tls (0 without TLS, as curl).
var curlVars = map[string]func(b []byte, obj any) []byte{
	"http_code":          curlStatus,
	"response_code":      curlStatus,
	"url":                curlField("url"),
	"url_effective":      curlURLEffective,
	"size_download":      curlField("bytes"),
	"num_redirects":      curlField("redirects"),
	"content_type":       curlField("content_type"),
	"errormsg":           curlField("error"),
	"remote_ip":          curlRemote(true),
	"remote_port":        curlRemote(false),
	"http_version":       curlHTTPVersion,
	"time_namelookup":    curlSeconds("dns"),
	"time_connect":       curlSeconds("dns", "connect"),
	"time_appconnect":    curlAppConnect,
	"time_starttransfer": curlSeconds("ttfb"),
	"time_total":         curlSeconds("total"),
}

// curlVarNames lists curlVars' names, sorted.
func curlVarNames() []string {
	names := make([]string, 0, len(curlVars))
	for name := range curlVars {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func curlField(name string) func([]byte, any) []byte {
	return func(b []byte, obj any) []byte { return appendValue(b, lookup(obj, []string{name})) }
}

func numberOf(v any) float64 {
	n, _ := v.(json.Number)
	f, _ := n.Float64()
	return f
}

func curlStatus(b []byte, obj any) []byte {
	return fmt.Appendf(b, "%03d", int(numberOf(lookup(obj, []string{"status"}))))
}

func curlURLEffective(b []byte, obj any) []byte {
	if u, _ := lookup(obj, []string{"final_url"}).(string); u != "" {
		return appendEscaped(b, u)
	}
	return appendValue(b, lookup(obj, []string{"url"}))
}

func curlRemote(ip bool) func([]byte, any) []byte {
	return func(b []byte, obj any) []byte {
		addr, _ := lookup(obj, []string{"remote_addr"}).(string)
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return b
		}
		if ip {
			return appendEscaped(b, host)
		}
		return appendEscaped(b, port)
	}
}

// curlHTTPVersion prints "1.1" or "2", as curl does.
func curlHTTPVersion(b []byte, obj any) []byte {
	proto, _ := lookup(obj, []string{"proto"}).(string)
	proto = strings.TrimPrefix(proto, "HTTP/")
	return appendEscaped(b, strings.TrimSuffix(proto, ".0"))
}

// curlSeconds prints the sum of phases of timings_ms in seconds.
func curlSeconds(phases ...string) func([]byte, any) []byte {
	return func(b []byte, obj any) []byte {
		ms := 0.0
		for _, p := range phases {
			ms += numberOf(lookup(obj, []string{"timings_ms", p}))
		}
		return strconv.AppendFloat(b, ms/1000, 'f', 6, 64)
	}
}

func curlAppConnect(b []byte, obj any) []byte {
	if numberOf(lookup(obj, []string{"timings_ms", "tls"})) == 0 {
		return append(b, "0.000000"...)
	}
	return curlSeconds("dns", "connect", "tls")(b, obj)
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
