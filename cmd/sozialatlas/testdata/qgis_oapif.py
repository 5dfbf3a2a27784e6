"""Loads one collection through QGIS's OAPIF provider, the way a planner's
QGIS does, and prints what QGIS saw as JSON.

usage: python3 qgis_oapif.py URL COLLECTION PAGE_SIZE
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402


def main():
    url, collection, page_size = sys.argv[1], sys.argv[2], sys.argv[3]
    app = QgsApplication([], False)
    app.initQgis()
    try:
        layer = QgsVectorLayer(
            f"url='{url}' typename='{collection}' pageSize='{page_size}'", collection, "OAPIF"
        )
        if not layer.isValid():
            print(json.dumps({"valid": False, "error": layer.error().summary()}))
            return 1
        features = list(layer.getFeatures())
        print(json.dumps({
            "valid": True,
            "feature_count": layer.featureCount(),
            "features": len(features),
            "codes": sorted({f["code"] for f in features}),
            "valid_geometries": sum(1 for f in features if f.geometry().isGeosValid()),
            "crs": layer.crs().authid(),
            "fields": [f.name() for f in layer.fields()],
        }))
        return 0
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    # QGIS 3.22 can crash while tearing down its providers offscreen;
    # the answer is printed by then, so leave without the teardown.
    os._exit(main())
