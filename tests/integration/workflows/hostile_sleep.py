import time


class Sleeper:
    def __init__(self):
        while True:
            time.sleep(1)
