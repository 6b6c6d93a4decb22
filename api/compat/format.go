package compat

// Small formatters for the field names and values quoted in error messages.

import "strconv"

// param names a field of an array element, e.g. messages[2].content.
func param(array string, i int, field string) string {
	return array + "[" + strconv.Itoa(i) + "]." + field
}

func itoa(i int) string { return strconv.Itoa(i) }

func quote(s string) string { return strconv.Quote(s) }
