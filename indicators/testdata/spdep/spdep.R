# The reference of the spatial statistics: R's spdep on the inputs the
# Go test writes (NAME.input.tsv: code, value or NA, the neighbours as
# 1-based positions separated by commas).
#
#   Rscript spdep.R NAME.input.tsv NAME.spdep.tsv NAME.global.tsv [nsim]
#
# Areas without a value are dropped (subset.nb), then the areas left
# without a neighbour (islands), as the service does; the rest is what
# moran.test (randomisation), moran.mc, localmoran (conditional, mlvar),
# localmoran_perm and localG on include.self run on.
suppressPackageStartupMessages(library(spdep))
args <- commandArgs(trailingOnly = TRUE)
nsim <- if (length(args) >= 4) as.integer(args[4]) else 999L
d <- read.delim(args[1], header = TRUE, colClasses = c("character", "numeric", "character"),
                na.strings = "NA", comment.char = "#")
nb <- lapply(strsplit(d$neighbours, ",", fixed = TRUE),
             function(s) if (length(s) == 0) 0L else sort(as.integer(s)))
class(nb) <- "nb"
attr(nb, "region.id") <- d$code
has <- !is.na(d$value)
nb1 <- subset(nb, has)
x1 <- d$value[has]
codes1 <- d$code[has]
island <- card(nb1) == 0L
nb2 <- subset(nb1, !island)
x <- x1[!island]
codes <- codes1[!island]
lw <- nb2listw(nb2, style = "W")

mt <- moran.test(x, lw, randomisation = TRUE)
set.seed(1)
mc <- moran.mc(x, lw, nsim = nsim)
lm <- localmoran(x, lw)
set.seed(1)
lp <- localmoran_perm(x, lw, nsim = nsim)
g <- localG(x, nb2listw(include.self(nb2), style = "W"))

global <- data.frame(
  name = c("n", "I", "expectation", "variance", "z", "p_normal", "p_mc", "islands", "without_value"),
  value = c(length(x), sprintf("%.17g", c(mt$estimate[["Moran I statistic"]], mt$estimate[["Expectation"]],
            mt$estimate[["Variance"]], unname(mt$statistic), mt$p.value, mc$p.value)),
            paste(codes1[island], collapse = ","), paste(d$code[!has], collapse = ",")))
write.table(global, args[3], sep = "\t", quote = FALSE, row.names = FALSE, col.names = FALSE)

q <- as.character(attr(lm, "quadr")$mean)
quadrant <- c("High-High" = "hh", "Low-Low" = "ll", "High-Low" = "hl", "Low-High" = "lh")[q]
g12 <- function(v) sprintf("%.12g", v)
out <- data.frame(code = codes, Ii = g12(lm[, "Ii"]), E_Ii = g12(lm[, "E.Ii"]), Var_Ii = g12(lm[, "Var.Ii"]),
                  Z_Ii = g12(lm[, "Z.Ii"]), quadrant = unname(quadrant), gi_star = g12(as.numeric(g)),
                  p_folded = g12(lp[, "Pr(folded) Sim"]))
write.table(out, args[2], sep = "\t", quote = FALSE, row.names = FALSE)
