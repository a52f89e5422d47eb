class Spin:
    def __init__(self):
        while True:
            pass
