print("hello, I am just a script")
