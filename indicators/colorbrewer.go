package indicators

import (
	"slices"
	"strings"
)

// ColorBrewer's sequential and diverging schemes for 3 to 9 classes.
//
// Source: Cynthia A. Brewer, Mark Harrower and The Pennsylvania State
// University, ColorBrewer 2.0, https://colorbrewer2.org (Apache License
// 2.0). The hex values are those the site publishes; the test checks them
// against R's RColorBrewer (brewer.pal), which carries the same table.
// Colours run from the lowest class to the highest, as ColorBrewer lists
// them: light to dark for sequential schemes, from one hue through a light
// middle to the other for diverging ones (RdBu: red low, blue high).
//
// Qualitative schemes are left out: their colours have no order, and a
// choropleth of a number needs one.

// schemeKind says whether a scheme's colours grow from light to dark
// (sequential) or part from a light middle (diverging).
type schemeKind uint8

const (
	sequential schemeKind = iota
	diverging
)

// brewerScheme is one ColorBrewer scheme: colours[n-3] are its n colours.
type brewerScheme struct {
	name    string
	kind    schemeKind
	colours [7][]string
}

// brewerSchemes is read only.
var brewerSchemes = [...]brewerScheme{
	{"Blues", sequential, [7][]string{
		{"#deebf7", "#9ecae1", "#3182bd"},
		{"#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"},
		{"#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"},
		{"#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"},
		{"#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"},
		{"#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"},
		{"#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"},
	}},
	{"BuPu", sequential, [7][]string{
		{"#e0ecf4", "#9ebcda", "#8856a7"},
		{"#edf8fb", "#b3cde3", "#8c96c6", "#88419d"},
		{"#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c"},
		{"#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#8856a7", "#810f7c"},
		{"#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#6e016b"},
		{"#f7fcfd", "#e0ecf4", "#bfd3e6", "#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#6e016b"},
		{"#f7fcfd", "#e0ecf4", "#bfd3e6", "#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#810f7c", "#4d004b"},
	}},
	{"Greens", sequential, [7][]string{
		{"#e5f5e0", "#a1d99b", "#31a354"},
		{"#edf8e9", "#bae4b3", "#74c476", "#238b45"},
		{"#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"},
		{"#edf8e9", "#c7e9c0", "#a1d99b", "#74c476", "#31a354", "#006d2c"},
		{"#edf8e9", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#005a32"},
		{"#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#005a32"},
		{"#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b"},
	}},
	{"Greys", sequential, [7][]string{
		{"#f0f0f0", "#bdbdbd", "#636363"},
		{"#f7f7f7", "#cccccc", "#969696", "#525252"},
		{"#f7f7f7", "#cccccc", "#969696", "#636363", "#252525"},
		{"#f7f7f7", "#d9d9d9", "#bdbdbd", "#969696", "#636363", "#252525"},
		{"#f7f7f7", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525"},
		{"#ffffff", "#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525"},
		{"#ffffff", "#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525", "#000000"},
	}},
	{"Oranges", sequential, [7][]string{
		{"#fee6ce", "#fdae6b", "#e6550d"},
		{"#feedde", "#fdbe85", "#fd8d3c", "#d94701"},
		{"#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"},
		{"#feedde", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"},
		{"#feedde", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#8c2d04"},
		{"#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#8c2d04"},
		{"#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704"},
	}},
	{"OrRd", sequential, [7][]string{
		{"#fee8c8", "#fdbb84", "#e34a33"},
		{"#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"},
		{"#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"},
		{"#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"},
		{"#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"},
		{"#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"},
		{"#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000"},
	}},
	{"PuBu", sequential, [7][]string{
		{"#ece7f2", "#a6bddb", "#2b8cbe"},
		{"#f1eef6", "#bdc9e1", "#74a9cf", "#0570b0"},
		{"#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"},
		{"#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d"},
		{"#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b"},
		{"#fff7fb", "#ece7f2", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b"},
		{"#fff7fb", "#ece7f2", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#045a8d", "#023858"},
	}},
	{"Purples", sequential, [7][]string{
		{"#efedf5", "#bcbddc", "#756bb1"},
		{"#f2f0f7", "#cbc9e2", "#9e9ac8", "#6a51a3"},
		{"#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"},
		{"#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"},
		{"#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#4a1486"},
		{"#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#4a1486"},
		{"#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f", "#3f007d"},
	}},
	{"Reds", sequential, [7][]string{
		{"#fee0d2", "#fc9272", "#de2d26"},
		{"#fee5d9", "#fcae91", "#fb6a4a", "#cb181d"},
		{"#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"},
		{"#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"},
		{"#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#99000d"},
		{"#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#99000d"},
		{"#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15", "#67000d"},
	}},
	{"YlGnBu", sequential, [7][]string{
		{"#edf8b1", "#7fcdbb", "#2c7fb8"},
		{"#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"},
		{"#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"},
		{"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"},
		{"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"},
		{"#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"},
		{"#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"},
	}},
	{"YlOrBr", sequential, [7][]string{
		{"#fff7bc", "#fec44f", "#d95f0e"},
		{"#ffffd4", "#fed98e", "#fe9929", "#cc4c02"},
		{"#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404"},
		{"#ffffd4", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#993404"},
		{"#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"},
		{"#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"},
		{"#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#993404", "#662506"},
	}},
	{"YlOrRd", sequential, [7][]string{
		{"#ffeda0", "#feb24c", "#f03b20"},
		{"#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"},
		{"#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"},
		{"#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"},
		{"#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"},
		{"#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"},
		{"#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"},
	}},
	{"BrBG", diverging, [7][]string{
		{"#d8b365", "#f5f5f5", "#5ab4ac"},
		{"#a6611a", "#dfc27d", "#80cdc1", "#018571"},
		{"#a6611a", "#dfc27d", "#f5f5f5", "#80cdc1", "#018571"},
		{"#8c510a", "#d8b365", "#f6e8c3", "#c7eae5", "#5ab4ac", "#01665e"},
		{"#8c510a", "#d8b365", "#f6e8c3", "#f5f5f5", "#c7eae5", "#5ab4ac", "#01665e"},
		{"#8c510a", "#bf812d", "#dfc27d", "#f6e8c3", "#c7eae5", "#80cdc1", "#35978f", "#01665e"},
		{"#8c510a", "#bf812d", "#dfc27d", "#f6e8c3", "#f5f5f5", "#c7eae5", "#80cdc1", "#35978f", "#01665e"},
	}},
	{"PiYG", diverging, [7][]string{
		{"#e9a3c9", "#f7f7f7", "#a1d76a"},
		{"#d01c8b", "#f1b6da", "#b8e186", "#4dac26"},
		{"#d01c8b", "#f1b6da", "#f7f7f7", "#b8e186", "#4dac26"},
		{"#c51b7d", "#e9a3c9", "#fde0ef", "#e6f5d0", "#a1d76a", "#4d9221"},
		{"#c51b7d", "#e9a3c9", "#fde0ef", "#f7f7f7", "#e6f5d0", "#a1d76a", "#4d9221"},
		{"#c51b7d", "#de77ae", "#f1b6da", "#fde0ef", "#e6f5d0", "#b8e186", "#7fbc41", "#4d9221"},
		{"#c51b7d", "#de77ae", "#f1b6da", "#fde0ef", "#f7f7f7", "#e6f5d0", "#b8e186", "#7fbc41", "#4d9221"},
	}},
	{"PuOr", diverging, [7][]string{
		{"#f1a340", "#f7f7f7", "#998ec3"},
		{"#e66101", "#fdb863", "#b2abd2", "#5e3c99"},
		{"#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99"},
		{"#b35806", "#f1a340", "#fee0b6", "#d8daeb", "#998ec3", "#542788"},
		{"#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"},
		{"#b35806", "#e08214", "#fdb863", "#fee0b6", "#d8daeb", "#b2abd2", "#8073ac", "#542788"},
		{"#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788"},
	}},
	{"RdBu", diverging, [7][]string{
		{"#ef8a62", "#f7f7f7", "#67a9cf"},
		{"#ca0020", "#f4a582", "#92c5de", "#0571b0"},
		{"#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0"},
		{"#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"},
		{"#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"},
		{"#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"},
		{"#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"},
	}},
	{"RdYlBu", diverging, [7][]string{
		{"#fc8d59", "#ffffbf", "#91bfdb"},
		{"#d7191c", "#fdae61", "#abd9e9", "#2c7bb6"},
		{"#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6"},
		{"#d73027", "#fc8d59", "#fee090", "#e0f3f8", "#91bfdb", "#4575b4"},
		{"#d73027", "#fc8d59", "#fee090", "#ffffbf", "#e0f3f8", "#91bfdb", "#4575b4"},
		{"#d73027", "#f46d43", "#fdae61", "#fee090", "#e0f3f8", "#abd9e9", "#74add1", "#4575b4"},
		{"#d73027", "#f46d43", "#fdae61", "#fee090", "#ffffbf", "#e0f3f8", "#abd9e9", "#74add1", "#4575b4"},
	}},
	{"RdYlGn", diverging, [7][]string{
		{"#fc8d59", "#ffffbf", "#91cf60"},
		{"#d7191c", "#fdae61", "#a6d96a", "#1a9641"},
		{"#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"},
		{"#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"},
		{"#d73027", "#fc8d59", "#fee08b", "#ffffbf", "#d9ef8b", "#91cf60", "#1a9850"},
		{"#d73027", "#f46d43", "#fdae61", "#fee08b", "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850"},
		{"#d73027", "#f46d43", "#fdae61", "#fee08b", "#ffffbf", "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850"},
	}},
}

// colourScheme is a scheme as a classification uses it: possibly reversed
// (name with the suffix _r), so that its first colour goes to the lowest
// class.
type colourScheme struct {
	// name as the caller gave it, e.g. "RdBu_r"
	name     string
	base     *brewerScheme
	reversed bool
}

// lookupScheme finds a scheme by its ColorBrewer name, optionally with
// the suffix _r for the reversed order.
func lookupScheme(name string) (colourScheme, bool) {
	base, reversed := strings.CutSuffix(name, "_r")
	for i := range brewerSchemes {
		if brewerSchemes[i].name == base {
			return colourScheme{name: name, base: &brewerSchemes[i], reversed: reversed}, true
		}
	}
	return colourScheme{}, false
}

// schemeNames lists the schemes for messages.
func schemeNames() []string {
	names := make([]string, len(brewerSchemes))
	for i, s := range brewerSchemes {
		names[i] = s.name
	}
	return names
}

// colours returns n colours from the lowest class to the highest. The
// schemes have 3 to 9; fewer classes take colours of the 3-class scheme
// as ColorBrewer's own advice for two classes does: its ends for two, its
// middle for one, so a single class is neither the lightest nor the
// darkest.
func (s colourScheme) colours(n int) []string {
	var c []string
	switch {
	case n <= 0:
		return nil
	case n == 1:
		c = []string{s.base.colours[0][1]}
	case n == 2:
		c = []string{s.base.colours[0][0], s.base.colours[0][2]}
	default:
		c = slices.Clone(s.base.colours[min(n, 9)-3])
	}
	if s.reversed {
		slices.Reverse(c)
	}
	return c
}
