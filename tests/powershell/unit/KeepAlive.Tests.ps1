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

Describe 'Start-WatchKeepAlive' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'starts a keep-alive only when the settings want one and none runs, and says when WSL moved meanwhile' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $state = New-WatchState -Settings $settings
            $state.Wsl = 'C:\WSL\wsl.exe'
            $state.Address = '172.28.1.1'
            $log = Open-RunLog -Directory $TestDrive
            Mock Start-KeepAlive { [pscustomobject]@{ Id = 4242; HasExited = $false } }
            Mock Get-WslAddress { '172.28.1.1' }
            $off = Import-Settings -Settings (New-TestSettings -Overrides @{ KeepAlive = $false })
            Start-WatchKeepAlive -State $state -Settings $off -Log $log | Should -BeExactly ''
            Should -Invoke Start-KeepAlive -Times 0 -Exactly
            Start-WatchKeepAlive -State $state -Settings $settings -Log $log | Should -BeExactly ''
            $state.KeepAlive.Id | Should -Be 4242
            Start-WatchKeepAlive -State $state -Settings $settings -Log $log | Should -BeExactly ''   # it runs
            Should -Invoke Start-KeepAlive -Times 1 -Exactly -ParameterFilter { $WslPath -eq 'C:\WSL\wsl.exe' -and $Distro -eq 'podman-machine-default' }
            $state.KeepAlive = [pscustomobject]@{ Id = 1; HasExited = $true }
            Mock Get-WslAddress { '172.28.1.9' }
            Start-WatchKeepAlive -State $state -Settings $settings -Log $log |
                Should -BeExactly 'WSL changed its address to 172.28.1.9 during the reconcile'
            $state.KeepAlive = $null
            Mock Get-WslAddress { throw 'wsl.exe hung' }
            Start-WatchKeepAlive -State $state -Settings $settings -Log $log |
                Should -BeExactly 'WSL changed its address to  during the reconcile'
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match '\[WARN\] Cannot confirm the WSL address: wsl\.exe hung'
        }
    }
}

Describe 'Get-KeepAliveBackoff' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'takes a long-lived keep-alive, a new address or a first early end for a restart, and backs off when it flaps' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $state = New-WatchState -Settings $settings
            $state.Wsl = 'C:\WSL\wsl.exe'
            $state.Address = '172.28.1.1'
            $state.KeepAlive = [pscustomobject]@{ ExitCode = 1; HasExited = $true }
            $log = Open-RunLog -Directory $TestDrive
            Mock Test-WslMoved { $false }
            $state.KeepAliveSince = (Get-Date).AddMinutes(-5)
            Get-KeepAliveBackoff -State $state -Settings $settings -Log $log | Should -Be 0   # lived long: a restart
            $state.EarlyExits | Should -Be 0
            Should -Invoke Test-WslMoved -Times 0 -Exactly
            $state.KeepAliveSince = Get-Date
            @(1..4 | ForEach-Object { Get-KeepAliveBackoff -State $state -Settings $settings -Log $log }) | Should -Be @(0, 30, 60, 120)
            $state.EarlyExits | Should -Be 4
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') |
                Should -Match '\[WARN\] The keep-alive process ended 0 s after it started \(exit code 1\), twice in a row; waiting 30 s before trying again\.'
            Mock Test-WslMoved { $true }
            Get-KeepAliveBackoff -State $state -Settings $settings -Log $log | Should -Be 0   # a new address: a restart
            $state.EarlyExits | Should -Be 0
        }
    }
}
