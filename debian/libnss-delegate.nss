passwd after=files,compat delegate
group after=files,compat delegate
shadow after=files,compat delegate
