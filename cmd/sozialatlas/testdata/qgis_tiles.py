"""Draws the service's vector tiles in QGIS (offscreen) and reports the colour
at a point: the Gemeinden are styled by their einwohner value as read from
the tiles, red from 100,000 residents on, blue below.

Usage: qgis_tiles.py BASE_URL LON LAT -> JSON {"valid": bool, "colour": "#rrggbb"}
"""
import json
import os
import sys

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsFillSymbol,
                       QgsMapRendererSequentialJob, QgsMapSettings, QgsPointXY, QgsProject, QgsRectangle,
                       QgsVectorTileBasicRenderer, QgsVectorTileBasicRendererStyle, QgsVectorTileLayer, QgsWkbTypes)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
base, lon, lat = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
url = base + "/tiles/gemeinde/{z}/{x}/{y}.mvt?indicators=einwohner"
# QGIS's data source URI separates its own parameters with &: the tile URL's
# own & is escaped.
layer = QgsVectorTileLayer("type=xyz&url=" + url.replace("&", "%26") + "&zmin=0&zmax=14", "gemeinde")
styles = []
for name, expr, colour in [("gross", '"einwohner" >= 100000', "#ff0000"), ("klein", '"einwohner" < 100000', "#0000ff")]:
    style = QgsVectorTileBasicRendererStyle(name, "gemeinde", QgsWkbTypes.PolygonGeometry)
    style.setFilterExpression(expr)
    style.setSymbol(QgsFillSymbol.createSimple({"color": colour, "outline_style": "no"}))
    styles.append(style)
renderer = QgsVectorTileBasicRenderer()
renderer.setStyles(styles)
layer.setRenderer(renderer)

mercator = QgsCoordinateReferenceSystem("EPSG:3857")
to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), mercator, QgsProject.instance())
centre = to_mercator.transform(QgsPointXY(lon, lat))
settings = QgsMapSettings()
settings.setLayers([layer])
settings.setDestinationCrs(mercator)
settings.setOutputSize(QSize(400, 400))
settings.setExtent(QgsRectangle(centre.x() - 2000, centre.y() - 2000, centre.x() + 2000, centre.y() + 2000))
settings.setBackgroundColor(QColor("#ffffff"))
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
colour = QColor(job.renderedImage().pixel(200, 200)).name()
print(json.dumps({"valid": layer.isValid(), "colour": colour}))
sys.stdout.flush()
# QGIS's teardown crashes when offscreen; the answer is out.
os._exit(0)
