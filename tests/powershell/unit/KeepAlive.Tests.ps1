# Unit tests: the keep-alive process (Private/KeepAlive.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'The keep-alive' {
    It 'Start-KeepAlive starts wsl --exec sleep infinity and records its process id' {
        InModuleScope WslPortProxy {
            Mock Start-Process { [pscustomobject]@{ Id = 4242 } }
            $process = Start-KeepAlive -WslPath 'wsl.exe' -Distro 'd' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile)
            $process.Id | Should -Be 4242
            Get-Content -LiteralPath (Join-Path $TestDrive 'keepalive.pid') | Should -Be '4242'
            Should -Invoke Start-Process -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq '--distribution d --exec sleep infinity' }
            Start-KeepAlive -WslPath 'wsl.exe' -Distro 'd' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf | Should -BeNullOrEmpty
        }
    }

    It 'Stop-KeepAlive stops the recorded process only if it still runs the same wsl.exe' {
        Set-Content -LiteralPath (Join-Path $TestDrive 'keepalive.pid') -Value 4242
        InModuleScope WslPortProxy {
            Mock Stop-Process { }
            Mock Get-Process { [pscustomobject]@{ Id = 4242; Path = 'C:\Other\app.exe'; HasExited = $false } }
            Stop-KeepAlive -WslPath 'C:\WSL\wsl.exe' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Should -Invoke Stop-Process -Times 0 -Exactly
            Test-Path -LiteralPath (Join-Path $TestDrive 'keepalive.pid') | Should -BeFalse
        }
        Set-Content -LiteralPath (Join-Path $TestDrive 'keepalive.pid') -Value 4242
        InModuleScope WslPortProxy {
            Mock Stop-Process { }
            Mock Get-Process { [pscustomobject]@{ Id = 4242; Path = 'C:\WSL\wsl.exe'; HasExited = $false } }
            Stop-KeepAlive -WslPath 'C:\WSL\wsl.exe' -Directory $TestDrive -Log (Open-RunLog -Directory $TestDrive -NoFile)
            Should -Invoke Stop-Process -Times 1 -Exactly -ParameterFilter { $Id -eq 4242 }
        }
    }
}
