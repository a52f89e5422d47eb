class Hog:
    def __init__(self):
        self.blocks = []
        while True:
            self.blocks.append(bytearray(64 * 1024 * 1024))
