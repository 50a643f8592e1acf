/*
 * Private helpers shared by the XML parser and generator.
 * SPDX-License-Identifier: MIT
 */
#ifndef CAIRN_XML_IMPL_H
#define CAIRN_XML_IMPL_H

#include <stdbool.h>

/* Nesting used when xml_parse() is given max_depth 0 (spec: 64 levels). */
#define XML_DEFAULT_DEPTH	64

/*
 * Hard bound on max_depth: validation recurses once per level (about 256
 * bytes of stack each), so this caps the parser's stack use at some 64 KiB
 * whatever the caller asks for.
 */
#define XML_DEPTH_LIMIT		256

/* Names: first char letter, '_' or ':'; then also '-', '.' and digits. */
static inline bool
xml_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c == ':';
}

static inline bool
xml_name_char(unsigned char c)
{
	return xml_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.';
}

static inline bool
xml_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

#endif
