class Broken:
    def getAllMetadata(self)
        return {}
