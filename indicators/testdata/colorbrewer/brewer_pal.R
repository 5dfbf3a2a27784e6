# ColorBrewer's colours as R's RColorBrewer carries them, for the check of
# indicators/colorbrewer.go (TestColorBrewerReference).
#
#   Rscript brewer_pal.R OUT
#
# OUT receives one line per scheme and number of classes:
#   scheme <TAB> n <TAB> colours (lower case hex), tab-separated
# for every sequential and diverging scheme and n = 3 to 9.

suppressPackageStartupMessages(library(RColorBrewer))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript brewer_pal.R OUT")
out <- file(args[1], open = "w")
writeLines(sprintf("# RColorBrewer %s", packageVersion("RColorBrewer")), out)
info <- brewer.pal.info[brewer.pal.info$category %in% c("seq", "div"), ]
for (scheme in sort(rownames(info))) {
	for (n in 3:9) {
		writeLines(paste(c(scheme, n, tolower(brewer.pal(n, scheme))), collapse = "\t"), out)
	}
}
close(out)
