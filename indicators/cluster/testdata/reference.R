# The reference of the area types: R's scale(), hclust(dist(z), "ward.D2")
# with cutree, and kmeans (Hartigan-Wong, 25 starts) of the standardised
# values. Usage: Rscript reference.R NAME.tsv NAME.R.tsv
args <- commandArgs(trailingOnly = TRUE)
d <- read.delim(args[1], comment.char = "#", colClasses = c(code = "character"))
z <- scale(as.matrix(d[, -1]))
num <- function(x) sprintf("%.17g", x)
line <- function(...) paste(c(...), collapse = "\t")
h <- hclust(dist(z), method = "ward.D2")
out <- c(line("center", num(attr(z, "scaled:center"))),
         line("scale", num(attr(z, "scaled:scale"))),
         line("height", num(h$height)))
for (k in 2:8) out <- c(out, line("cut", k, cutree(h, k)))
for (k in 2:8) {
  set.seed(1)
  km <- kmeans(z, centers = k, nstart = 25, iter.max = 100)
  out <- c(out, line("kmeans", k, num(km$tot.withinss)))
}
writeLines(out, args[2])
