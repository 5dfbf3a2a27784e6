"""Loads one collection through QGIS's OAPIF provider, the way a planner's
QGIS does, and prints what QGIS saw as JSON.

usage: python3 qgis_oapif.py URL COLLECTION PAGE_SIZE [KEY [VALUE]]

KEY is the field that names a feature (code for areas, source_id for
facilities); with VALUE the answer carries that feature's attributes.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402


def plain(v):
    """A QGIS attribute as JSON takes it: QVariant NULL and QDate are
    neither, so they are written as None and as text."""
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if hasattr(v, "isNull") and v.isNull():
        return None
    return str(v)


def main():
    url, collection, page_size = sys.argv[1], sys.argv[2], sys.argv[3]
    key = sys.argv[4] if len(sys.argv) > 4 else "code"
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
        names = [f.name() for f in layer.fields()]
        answer = {
            "valid": True,
            "feature_count": layer.featureCount(),
            "features": len(features),
            "codes": sorted({str(f[key]) for f in features}),
            "valid_geometries": sum(1 for f in features if f.geometry().isGeosValid()),
            "crs": layer.crs().authid(),
            "fields": names,
        }
        if len(sys.argv) > 5:
            answer["matches"] = [{n: plain(f[n]) for n in names}
                                 for f in features if str(f[key]) == sys.argv[5]]
        print(json.dumps(answer))
        return 0
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    # QGIS 3.22 can crash while tearing down its providers offscreen;
    # the answer is printed by then, so leave without the teardown.
    os._exit(main())
