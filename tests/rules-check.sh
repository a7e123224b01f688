#!/bin/sh
# Every shipped rule's examples must match and its negative examples must not.
exec "${MAGPIE:-./magpie}" rules check "${top_srcdir:-.}/patterns"
