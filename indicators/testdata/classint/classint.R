# Class breaks of R's classInt for the reference tests of
# indicators/classes.go (TestClassIntReference).
#
#   Rscript classint.R VALUES OUT
#
# VALUES holds one number per line (lines starting with # are comments),
# OUT receives one line per style and number of classes:
#   style <TAB> k <TAB> breaks, tab-separated, 17 significant digits
# for the styles fisher, quantile and equal and k = 2 to 9 where the values
# have more than k distinct values (with fewer, classInt makes one class
# per value, its "unique" style, which the tests check separately).
# warnLargeN = FALSE keeps classInt from classifying a sample of more than
# 3000 values instead of all of them.

suppressPackageStartupMessages(library(classInt))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript classint.R VALUES OUT")
x <- scan(args[1], what = double(), comment.char = "#", quiet = TRUE)
out <- file(args[2], open = "w")
writeLines(sprintf("# classInt %s, R %s.%s; %d values, %d distinct",
	packageVersion("classInt"), R.version$major, R.version$minor,
	length(x), length(unique(x))), out)
for (style in c("fisher", "quantile", "equal")) {
	for (k in 2:9) {
		if (k >= length(unique(x))) next
		ci <- classIntervals(x, k, style = style, warnLargeN = FALSE)
		writeLines(paste(c(style, k, sprintf("%.17g", ci$brks)), collapse = "\t"), out)
	}
}
close(out)
