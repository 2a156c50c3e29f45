#!/bin/sh
# The project's C style check, run by `make check` (exit 0: clean, 1: errors,
# each printed as FILE:LINE: reason).  Checks every *.c and *.h under
# common/ daemon/ worker/ tools/ tests/unit/ tests/fuzz/ of the source tree
# ($S3WWWD_SRCDIR, else the tree this script is in), or the files given as
# arguments:
#   - no line longer than 100 columns (a tab advances to the next multiple of 8,
#     a UTF-8 character counts as one column)
#   - no trailing whitespace, no CRLF line endings, a newline at end of file
#   - indentation with tabs: a line starting with 8 or more spaces is an error
#   - no C++ '//' comments (outside string and character literals)
#   - every .c file starts with a /* comment
#   - no sprintf/vsprintf/strcpy/strcat/gets: use snprintf, a length-checked
#     copy, etc. (calls in comments and strings are ignored)
#   - a function longer than 80 lines says why in the comment just before it
#     (a sentence with "long" in it)
LC_ALL=C
export LC_ALL

if [ $# -gt 0 ]; then
	files=$(printf '%s\n' "$@")
else
	here=$(cd "$(dirname "$0")" && pwd)
	srcdir=${S3WWWD_SRCDIR:-$(dirname "$here")}
	cd "$srcdir" || exit 99
	dirs=
	for d in common daemon worker tools tests/unit tests/fuzz; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	[ -n "$dirs" ] || { echo "check-style: no source directories under $srcdir"; exit 0; }
	# shellcheck disable=SC2086
	files=$(find $dirs -type f \( -name '*.c' -o -name '*.h' \) ! -name '.*' | sort)
fi
if [ -z "$files" ]; then
	echo "check-style: no C files to check"
	exit 0
fi

status=0

# Per-file checks awk cannot do: empty file, missing final newline.
for f in $files; do
	if [ ! -s "$f" ]; then
		echo "$f:1: empty file"
		status=1
	elif [ -n "$(tail -c 1 "$f")" ]; then
		echo "$f:$(($(wc -l <"$f") + 1)): no newline at end of file"
		status=1
	fi
done

# shellcheck disable=SC2086,SC2016
printf '%s\n' $files | tr '\n' '\0' | xargs -0 awk '
function err(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg; bad = 1 }

# Blank out string/char literals and comments in $0 (kept in "code"),
# tracking /* */ across lines in in_comment.  Sets saw_cpp if a // comment
# starts outside literals and comments.
function lex(line,    i, n, c, c2, out, q) {
	out = ""; saw_cpp = 0; n = length(line); i = 1
	while (i <= n) {
		c = substr(line, i, 1); c2 = substr(line, i, 2)
		if (in_comment) {
			if (c2 == "*/") { in_comment = 0; out = out "  "; i += 2 }
			else { out = out " "; i++ }
		} else if (c2 == "/*") {
			in_comment = 1; out = out "  "; i += 2
		} else if (c2 == "//") {
			saw_cpp = 1; break
		} else if (c == "\"" || c == "\047") {
			q = c; out = out c; i++
			while (i <= n) {
				c = substr(line, i, 1)
				if (c == "\\") { out = out "  "; i += 2; continue }
				if (c == q) break
				out = out " "; i++
			}
			out = out q; i++
		} else {
			out = out c; i++
		}
	}
	return out
}

FNR == 1 {
	in_comment = 0
	if (FILENAME ~ /\.c$/ && $0 !~ /^\/\*/)
		err("a .c file must start with a /* comment")
}

{
	line = $0
	if (sub(/\r$/, "", line))
		err("CRLF line ending")
	if (line ~ /[ \t]+$/)
		err("trailing whitespace")
	if (line ~ /^        /)
		err("indented with spaces, use tabs")

	# columns: tabs to the next multiple of 8, a UTF-8 character is one column
	ntab = gsub(/\t/, "\t", line)
	if (length(line) + 7 * ntab > 100) {
		col = 0; n = length(line)
		for (i = 1; i <= n; i++) {
			c = substr(line, i, 1)
			if (c == "\t") col = col - col % 8 + 8
			else if (c !~ /[\200-\277]/) col++
		}
		if (col > 100)
			err("line is " col " columns, more than 100")
	}

	# Lex only lines that can change or need the comment/literal state.
	if (index(line, "/") || (in_comment && index(line, "*/")) ||
	    line ~ /(sprintf|strcpy|strcat|gets)[ \t]*\(/) {
		if (in_comment && !index(line, "*/")) next
		code = lex(line)
		if (saw_cpp)
			err("C++ // comment, use /* */")
		while (match(code, /(^|[^A-Za-z0-9_])(v?sprintf|strcpy|strcat|gets)[ \t]*\(/)) {
			fn = substr(code, RSTART, RLENGTH)
			code = substr(code, RSTART + RLENGTH)
			sub(/^[^A-Za-z0-9_]/, "", fn); sub(/[ \t]*\($/, "", fn)
			err("use of " fn "(), use a bounded alternative")
		}
	}
}

END { exit bad }
' || status=1

# Function length: from a definition's name at the start of a line to the
# closing brace in column 0.  The comment that ends just before the
# definition (return type on its own line) must say why it is long.
# shellcheck disable=SC2086,SC2016
printf '%s\n' $files | grep '\.c$' | tr '\n' '\0' | xargs -0 -r awk '
FNR == 1 { in_c = 0; ctext = ""; cend = -10; fstart = 0 }
/^\/\*/ { in_c = 1; ctext = "" }
in_c { ctext = ctext " " $0 }
in_c && /\*\// { in_c = 0; cend = FNR; ltext = ctext; next }
!in_c && /^[A-Za-z_][A-Za-z0-9_]*\(/ && !/;[ \t]*$/ {
	fstart = FNR; fname = $0; sub(/\(.*/, "", fname)
	if (fname ~ /^[A-Z_0-9]+$/) fstart = 0  # a macro such as START_TEST
	why = cend >= FNR - 3 && ltext ~ /[Ll]ong/
}
/^}/ && fstart {
	if (FNR - fstart > 80 && !why) {
		printf "%s:%d: %s() is %d lines: say why in the comment before it\n",
		    FILENAME, fstart, fname, FNR - fstart
		bad = 1
	}
	fstart = 0
}
END { exit bad }
' || status=1

exit $status
